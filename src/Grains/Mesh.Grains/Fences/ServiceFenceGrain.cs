using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Fences;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Fences;

/// <summary>
/// A fenced Service's learned dependencies. A report of a host already learned only moves its
/// last-seen time in memory (written at the next timer tick or new host): a busy caller costs no
/// state write per call. A new host is written first, then handed to the namespace grain, which
/// tells the silo catalogs; they rebuild the fence's scopes only. Expiry (Slime's ACTIVE →
/// EXPIREWAIT → EXPIRE) runs on one timer per fence grain, due when its earliest host changes
/// status: the work is proportional to the hosts that expire, never a scan of every fence.
/// </summary>
[GrainType("servicefence")]
internal sealed partial class ServiceFenceGrain(
    [PersistentState("servicefence", GrainStorage.Name)] IPersistentState<ServiceFenceState> state,
    TimeProvider time,
    MeshSettings settings,
    ILogger<ServiceFenceGrain> logger) : MeshGrainBase("servicefence"), IServiceFenceGrain
{
    private IGrainTimer? _expiry;
    private DateTimeOffset? _expiryDue;
    private bool _dirty;
    private string? _statuses; // the hosts' statuses last marked for the write-back to Kubernetes

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (!state.State.Learned.IsEmpty)
        {
            // Hosts may have expired while no silo held the grain; and the namespace grain's copy is
            // what catalogs read (a crash between a learn's two writes would otherwise lose the host).
            await ExpireAsync(publishAlways: true);
        }
    }

    public async Task<ImmutableArray<string>> LearnAsync(ImmutableArray<string> hosts, string source)
    {
        var now = time.GetUtcNow();
        var learned = state.State.Learned.ToBuilder();
        var added = ImmutableArray.CreateBuilder<string>();
        foreach (var host in hosts.Select(h => h.ToLowerInvariant()).Distinct(StringComparer.Ordinal))
        {
            if (learned.TryGetValue(host, out var known))
            {
                learned[host] = known with { LastSeen = now };
                _dirty = true;
                continue;
            }
            learned[host] = new LearnedHost(host, source, now, now);
            added.Add(host);
        }
        var before = state.State.Learned;
        state.State.Learned = learned.ToImmutable();
        FenceMetrics.Reports.Add(hosts.Length, new KeyValuePair<string, object?>("source", source));
        if (added.Count == 0)
        {
            Arm(now); // a refreshed host may be ACTIVE again, and its change is later
            return [];
        }
        try
        {
            await state.WriteStateAsync();
            _dirty = false;
        }
        catch
        {
            state.State.Learned = before;
            throw;
        }
        await PublishAsync();
        Arm(now);
        FenceMetrics.Learned.Add(added.Count, new KeyValuePair<string, object?>("source", source));
        var fence = this.GetPrimaryKeyString();
        foreach (var host in added)
        {
            LogLearned(logger, fence, host, source);
        }
        return added.ToImmutable();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FenceMetrics.ForgetHosts(this.GetPrimaryKeyString());
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Publishes this fence's learned hosts by status to <c>mesh_fence_hosts</c>.</summary>
    private void CountHosts(List<(string Host, LearnedStatus Status)> statuses) =>
        FenceMetrics.SetHosts(this.GetPrimaryKeyString(), statuses.Count(s => s.Status == LearnedStatus.Active), statuses.Count(s => s.Status == LearnedStatus.ExpireWait));

    /// <summary>Marks this fence for the ingest's status write-back when a host's status changed (a host learned, quiet, expired).</summary>
    private void MarkStatuses(List<(string Host, LearnedStatus Status)> statuses)
    {
        var signature = string.Join(',', statuses.Select(s => s.Host + "=" + (int)s.Status));
        if (signature == _statuses)
        {
            return;
        }
        _statuses = signature;
        _ = GrainFactory.GetGrain<IFenceStatusGrain>(IFenceStatusGrain.Key).MarkAsync(this.GetPrimaryKeyString());
    }

    public Task RepublishAsync() => PublishAsync();

    public Task<ImmutableArray<LearnedHost>> GetAsync() => Task.FromResult(state.State.Learned.Values.ToImmutableArray());

    /// <summary>Drops the hosts quiet for two periods, writes what changed, re-arms the timer for the next change.</summary>
    private async Task ExpireAsync(bool publishAlways = false)
    {
        var now = time.GetUtcNow();
        var period = settings.LazyQuietPeriod;
        var expired = state.State.Learned.Values.Where(h => FenceExpiry.StatusOf(h.LastSeen, now, period) == LearnedStatus.Expire).Select(h => h.Host).ToList();
        if (expired.Count > 0 || _dirty)
        {
            state.State.Learned = state.State.Learned.RemoveRange(expired);
            await state.WriteStateAsync();
            _dirty = false;
        }
        if (expired.Count > 0 || publishAlways)
        {
            await PublishAsync();
        }
        if (expired.Count > 0)
        {
            FenceMetrics.Expired.Add(expired.Count);
            var fence = this.GetPrimaryKeyString();
            foreach (var host in expired)
            {
                LogExpired(logger, fence, host, period);
            }
        }
        Arm(now);
    }

    /// <summary>Sets the timer for the earliest status change of any learned host; none when nothing is learned (the grain may then deactivate).</summary>
    private void Arm(DateTimeOffset now)
    {
        var statuses = state.State.Learned.Values.Select(h => (h.Host, FenceExpiry.StatusOf(h.LastSeen, now, settings.LazyQuietPeriod))).ToList();
        CountHosts(statuses);
        MarkStatuses(statuses);
        var next = state.State.Learned.Values
            .Select(h => FenceExpiry.NextChange(h.LastSeen, now, settings.LazyQuietPeriod))
            .Where(t => t is not null)
            .Min();
        if (next == _expiryDue && _expiry is not null)
        {
            return;
        }
        _expiry?.Dispose();
        _expiry = null;
        _expiryDue = next;
        if (next is { } due)
        {
            var delay = due - now;
            _expiry = this.RegisterGrainTimer(
                static (grain, _) => grain.OnExpiryDueAsync(),
                this,
                new GrainTimerCreationOptions(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
    }

    private Task OnExpiryDueAsync()
    {
        _expiryDue = null;
        return ExpireAsync();
    }

    private Task PublishAsync()
    {
        var (ns, service) = FenceKey.Parse(this.GetPrimaryKeyString());
        return GrainFactory.GetGrain<INamespaceGrain>(ns).SetLearnedAsync(service, [.. state.State.Learned.Keys]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fence {Fence} learned {Host} (from {Source})")]
    private static partial void LogLearned(ILogger logger, string fence, string host, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fence {Fence}: {Host} expired (not called for two quiet periods of {Period})")]
    private static partial void LogExpired(ILogger logger, string fence, string host, TimeSpan period);
}
