using System.Net;
using k8s.Autorest;
using k8s.LeaderElection;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// The Lease lock as <see cref="LeaderElector"/> uses it, remembering the last record read and the
/// last one this replica wrote: the record written when it acquired the Lease carries the
/// <c>leaseTransitions</c> its epoch is derived from (the elector does not expose it). Read failures
/// other than 404 (which the elector swallows) are reported to <paramref name="onHttpError"/>.
/// </summary>
internal sealed class ObservedLeaseLock(ILock inner, TimeProvider time, Action<HttpOperationException> onHttpError) : ILock
{
    private volatile LeaderElectionRecord? _seen;
    private volatile Write? _written;

    public string Identity => inner.Identity;

    /// <summary>The record last read or written.</summary>
    public LeaderElectionRecord? Seen => _seen;

    /// <summary>The record this replica last wrote (created, acquired or renewed).</summary>
    public LeaderElectionRecord? Written => _written?.Record;

    /// <summary>When this replica last wrote the Lease.</summary>
    public DateTimeOffset? LastWrite => _written?.At;

    public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var record = await inner.GetAsync(cancellationToken).ConfigureAwait(false);
            _seen = record;
            return record;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode != HttpStatusCode.NotFound)
        {
            onHttpError(e);
            throw;
        }
    }

    public async Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Wrote(record, await inner.CreateAsync(record, cancellationToken).ConfigureAwait(false));

    public async Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Wrote(record, await inner.UpdateAsync(record, cancellationToken).ConfigureAwait(false));

    public string Describe() => inner.Describe();

    private bool Wrote(LeaderElectionRecord record, bool succeeded)
    {
        if (succeeded)
        {
            _written = new Write(record, time.GetUtcNow());
            _seen = record;
        }
        return succeeded;
    }

    private sealed record Write(LeaderElectionRecord Record, DateTimeOffset At);
}
