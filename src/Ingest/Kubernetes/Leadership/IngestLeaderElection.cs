using System.Diagnostics.Metrics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Mesh.Grains;
using Mesh.Grains.Keys;
using Mesh.Ingest.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// Elects the one ingest replica that may write to the grains, on a <c>coordination.k8s.io/v1</c> Lease
/// (KubernetesClient's <see cref="LeaderElector"/> and <see cref="LeaseLock"/>), and fences the writes of
/// a deposed one. A replica that acquires the Lease takes as its epoch the Lease's <c>leaseTransitions</c>
/// plus 1 (LeaseLock adds 1 to it on every change of holder, so each new leader's epoch is higher than
/// every earlier one's), claims that epoch on the <see cref="IWriterFenceGrain"/>, and only then leads:
/// <see cref="IsLeader"/>, <see cref="WaitForLeadershipAsync"/>. Its term ends (<see cref="LeaderTerm.Lost"/>)
/// when it cannot renew within <see cref="IngestLeaderElectionOptions.RenewDeadline"/> or the host stops;
/// anything it still writes carries the old epoch, which the grains reject once the next leader has claimed.
/// </summary>
public sealed partial class IngestLeaderElection : BackgroundService
{
    private static readonly Gauge<int> LeaderGauge = IngestStatus.Meter.CreateGauge<int>("mesh_ingest_leader", description: "1 while this ingest is the elected leader (Lease held and epoch claimed), else 0.");
    private static readonly Counter<long> TransitionsCounter = IngestStatus.Meter.CreateCounter<long>("mesh_ingest_leader_transitions", description: "Times this ingest became (acquired) or stopped being (lost) the leader.");
    private static readonly CancellationToken Ended = new(canceled: true);

    private readonly IKubernetes _kube;
    private readonly IGrainFactory _grains;
    private readonly IngestLeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ObservedLeaseLock _lock;
    private readonly string _lease;
    private readonly Lock _gate = new();
    private TaskCompletionSource<LeaderTerm> _next = NewTerm();
    private volatile LeaderTerm? _term;
    private long _lastEpoch;
    private string? _lastError;
    private string? _loggedError;

    public IngestLeaderElection(IKubernetes kube, IGrainFactory grains, IOptions<IngestLeaderElectionOptions> options, TimeProvider time, ILogger<IngestLeaderElection> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _kube = kube;
        _grains = grains;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _lease = $"{_options.LeaseNamespace}/{_options.LeaseName}";
        var lease = new LeaseLock(kube, _options.LeaseNamespace, _options.LeaseName, _options.Identity);
        lease.OnHttpError += OnHttpError;
        _lock = new ObservedLeaseLock(lease, time, OnHttpError);
    }

    public string Identity => _options.Identity;

    /// <summary>True while this replica holds the Lease and its epoch is the fence's.</summary>
    public bool IsLeader => _term is not null;

    /// <summary>The epoch of the current term, to put on every grain write; 0 when not leading.</summary>
    public long Epoch => _term?.Epoch ?? 0;

    /// <summary>Cancelled when the current term ends; already cancelled when not leading.</summary>
    public CancellationToken LeadershipLost => _term?.Lost ?? Ended;

    /// <summary>The current term, or null when not leading.</summary>
    public LeaderTerm? CurrentTerm => _term;

    public LeaderStatus Status
    {
        get
        {
            var seen = _lock.Seen;
            lock (_gate)
            {
                return new LeaderStatus(_lease, Identity, seen?.HolderIdentity, _term is not null, _lastEpoch, seen?.LeaderTransitions, _lock.LastWrite, _lastError);
            }
        }
    }

    /// <summary>Completes with the term once this replica leads (at once if it does now).</summary>
    public Task<LeaderTerm> WaitForLeadershipAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _next.Task.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = new LeaderElectionConfig(_lock)
        {
            LeaseDuration = _options.LeaseDuration,
            RenewDeadline = _options.RenewDeadline,
            RetryPeriod = _options.RetryPeriod,
        };
        LogStarting(_logger, Identity, _lease);
        while (!stoppingToken.IsCancellationRequested)
        {
            await RunTermAsync(config, stoppingToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(_options.RetryPeriod, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One try: acquire the Lease, claim the epoch, lead until the Lease is lost or the host stops.</summary>
    private async Task RunTermAsync(LeaderElectionConfig config, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var term = new TermState(cts);
        using var elector = new LeaderElector(config);
        var claim = Task.CompletedTask;
        elector.OnStartedLeading += () => claim = LeadAsync(term);
        elector.OnStoppedLeading += () => StepDown(term);
        elector.OnNewLeader += leader => LogNewLeader(_logger, _lease, leader);
        try
        {
            await elector.RunUntilLeadershipLostAsync(term.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The elector lets some failures escape (the API server unreachable or timing out while acquiring).
            SetError(e.Message);
            LogElectionFailed(_logger, _lease, e);
        }
        finally
        {
            // Also stops the elector's renewal loop, which outlives a missed RenewDeadline.
            StepDown(term);
            // LeadAsync handles its errors; it only ends by cancellation once the term is over.
            await claim.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Claims this term's epoch on the writer fence, retrying until it is claimed or the term ends.</summary>
    private async Task LeadAsync(TermState term)
    {
        // The record written when acquiring: LeaseLock has just set leaseTransitions for this holder.
        var epoch = (_lock.Written?.LeaderTransitions ?? 0) + 1L;
        var fence = _grains.GetGrain<IWriterFenceGrain>(WriterFenceKey.Ingest);
        while (!term.Token.IsCancellationRequested)
        {
            try
            {
                await fence.ClaimAsync(epoch, Identity).ConfigureAwait(false);
                Publish(term, epoch);
                return;
            }
            catch (StaleWriterException e)
            {
                // Not leading on a stale epoch. The Lease counts from 0 again if it was deleted: raise its count past the fence.
                SetError(e.Message);
                LogStaleClaim(_logger, _lease, epoch, e.CurrentEpoch, e.CurrentHolder);
                try
                {
                    var raised = await LeaseTransitions.RaiseAsync(_kube, _options, e.CurrentEpoch, term.Token).ConfigureAwait(false);
                    if (raised is null)
                    {
                        return; // the Lease is someone else's: the elector will notice and end the term
                    }
                    epoch = raised.Value + 1L;
                }
                catch (Exception raise) when (!term.Token.IsCancellationRequested)
                {
                    SetError(raise.Message);
                    LogRaiseFailed(_logger, _lease, raise);
                }
            }
            catch (Exception e) when (!term.Token.IsCancellationRequested)
            {
                SetError(e.Message);
                LogClaimFailed(_logger, epoch, e);
            }
            try
            {
                await Task.Delay(_options.RetryPeriod, _time, term.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Publish(TermState term, long epoch)
    {
        LeaderTerm leading;
        lock (_gate)
        {
            if (term.Ended)
            {
                return; // lost while claiming: the next leader's higher epoch fences this one
            }
            leading = new LeaderTerm(epoch, Identity, term.Token);
            term.Leading = true;
            _term = leading;
            _lastEpoch = epoch;
            _lastError = null;
            _loggedError = null;
            _next.TrySetResult(leading);
        }
        LeaderGauge.Record(1, new KeyValuePair<string, object?>("lease", _lease));
        TransitionsCounter.Add(1, new KeyValuePair<string, object?>("lease", _lease), new KeyValuePair<string, object?>("change", "acquired"));
        LogLeading(_logger, Identity, _lease, epoch);
    }

    private void StepDown(TermState term)
    {
        bool wasLeading;
        long epoch;
        lock (_gate)
        {
            if (term.Ended)
            {
                return;
            }
            term.Ended = true;
            wasLeading = term.Leading;
            epoch = _lastEpoch;
            if (wasLeading)
            {
                _term = null;
                _next = NewTerm();
            }
        }
        if (wasLeading)
        {
            LeaderGauge.Record(0, new KeyValuePair<string, object?>("lease", _lease));
            TransitionsCounter.Add(1, new KeyValuePair<string, object?>("lease", _lease), new KeyValuePair<string, object?>("change", "lost"));
            LogLost(_logger, Identity, _lease, epoch);
        }
        // Outside the lock: whoever watches LeadershipLost runs here.
        try
        {
            term.Cancel();
        }
        catch (AggregateException e)
        {
            LogLostCallbackFailed(_logger, e);
        }
    }

    private void OnHttpError(HttpOperationException e)
    {
        var code = e.Response?.StatusCode;
        if (code is HttpStatusCode.Conflict)
        {
            return; // another replica wrote the Lease first: contention, not an error
        }
        var message = $"{(int?)code} {code} from the API server on Lease {_lease}: {e.Message}";
        SetError(message);
        lock (_gate)
        {
            if (_loggedError == message)
            {
                return;
            }
            _loggedError = message;
        }
        if (code is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            LogForbidden(_logger, _lease, (int)code);
        }
        else
        {
            LogLeaseError(_logger, message);
        }
    }

    private void SetError(string message)
    {
        lock (_gate)
        {
            _lastError = message;
        }
    }

    private static TaskCompletionSource<LeaderTerm> NewTerm() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One attempt's cancellation (the term's <see cref="LeaderTerm.Lost"/>) and whether it led and has ended; guarded by <c>_gate</c>.</summary>
    private sealed class TermState(CancellationTokenSource cts)
    {
        public CancellationToken Token { get; } = cts.Token;
        public bool Leading { get; set; }
        public bool Ended { get; set; }

        public void Cancel() => cts.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Leader election as {Identity} on Lease {Lease}")]
    private static partial void LogStarting(ILogger logger, string identity, string lease);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease} is held by {Holder}")]
    private static partial void LogNewLeader(ILogger logger, string lease, string holder);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} leads (Lease {Lease}) with writer epoch {Epoch}")]
    private static partial void LogLeading(ILogger logger, string identity, string lease, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} lost the Lease {Lease} (epoch {Epoch}); its writes still in flight will be rejected once the next leader claims")]
    private static partial void LogLost(ILogger logger, string identity, string lease, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writer epoch {Epoch} from Lease {Lease} is behind the fence (epoch {CurrentEpoch} of {CurrentHolder}): the Lease was deleted or edited; raising its leaseTransitions to the fence's epoch")]
    private static partial void LogStaleClaim(ILogger logger, string lease, long epoch, long currentEpoch, string? currentHolder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not raise leaseTransitions of Lease {Lease}; not leading, retrying")]
    private static partial void LogRaiseFailed(ILogger logger, string lease, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim writer epoch {Epoch} on the writer fence (are the silos reachable?); not leading, retrying")]
    private static partial void LogClaimFailed(ILogger logger, long epoch, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader election on Lease {Lease} failed; retrying")]
    private static partial void LogElectionFailed(ILogger logger, string lease, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A callback on LeadershipLost threw; the term has ended regardless")]
    private static partial void LogLostCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The API server refused ({Status}) the ingest's access to Lease {Lease}: grant its ServiceAccount get, create and update on leases.coordination.k8s.io in that namespace (Role and RoleBinding mesh-ingest-leader-election in deploy/k8s/ingest.yaml)")]
    private static partial void LogForbidden(ILogger logger, string lease, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}; retrying")]
    private static partial void LogLeaseError(ILogger logger, string message);
}
