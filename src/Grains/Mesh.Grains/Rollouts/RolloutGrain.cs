using System.Collections.Immutable;
using System.Globalization;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Rollouts;

/// <summary>
/// The staged rollouts of one RolloutPolicy (key <c>NAMESPACE/POLICY</c>), one in flight at a time.
/// A proposal with the same change as the rollout in flight (another host of the same edited
/// VirtualService) joins it; a newer change to one of its hosts supersedes it (stage 0 again) or
/// queues, per the policy; a change to other objects queues. Each transition is persisted before
/// it takes effect; the stage is published to the rollout table, which the gateways follow. One
/// grain timer is due at the earliest of the bake's end and the next health check; after a silo
/// loss the table wakes the grain (a gateway's lease renewal reaches the table within seconds).
/// Calls go one way: service grains propose one-way, this grain awaits service grains.
/// </summary>
[GrainType("rollout")]
internal sealed partial class RolloutGrain(
    [PersistentState("rollout", GrainStorage.Name)] IPersistentState<RolloutState> state,
    TimeProvider time,
    ILogger<RolloutGrain> logger) : MeshGrainBase("rollout"), IRolloutGrain
{
    public const int HistoryLength = 20;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = Timeout.InfiniteTimeSpan };

    private IGrainTimer? _timer;
    private DateTimeOffset? _timerDue;
    private DateTimeOffset? _nextHealthCheck;

    private string Key => this.GetPrimaryKeyString();

    private DateTimeOffset Now => time.GetUtcNow();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (state.State.Current is { Progress.InFlight: true } current)
        {
            // Activated again (a silo died, or the grain was idle): the stage stands as persisted.
            RolloutMetrics.SetStage(current.Id, current.Progress.Stage);
            await PublishAsync(current);
            Schedule(current);
        }
    }

    public Task WakeAsync() => Task.CompletedTask; // activation did the work

    public async Task ProposeAsync(RolloutProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var key = ChangeKey(proposal.Changes);
        var current = state.State.Current is { Progress.InFlight: true } c ? c : null;
        if (proposal.Changes.IsEmpty)
        {
            await RevertAsync(proposal, current);
            return;
        }
        if (state.State.RolledBack.Contains(key))
        {
            LogRefused(logger, Key, proposal.Host, key);
            return;
        }
        if (current is null)
        {
            await StartAsync([proposal]);
            return;
        }
        if (current.ChangeKey == key)
        {
            await JoinAsync(current, proposal);
            return;
        }
        if (current.Candidates.ContainsKey(proposal.Host) && current.Policy.OnConflict == RolloutConflict.Supersede)
        {
            await EndAsync(current, current.Progress.Supersede($"superseded by a newer change: {string.Join("; ", proposal.Changes)}"), "superseded", commit: false);
            await StartAsync([proposal, .. state.State.Queue.Where(q => ChangeKey(q.Changes) == key && q.Host != proposal.Host)]);
            return;
        }
        // Queue: a newer proposal for a host already queued replaces its own.
        state.State.Queue = [.. state.State.Queue.Where(q => q.Host != proposal.Host), proposal];
        await state.WriteStateAsync();
        LogQueued(logger, Key, proposal.Host, current.Id, proposal.Changes);
    }

    /// <summary>A host's routing went back to its baseline: it leaves the rollout (which ends when no host is left) and the queue.</summary>
    private async Task RevertAsync(RolloutProposal proposal, RolloutRecord? current)
    {
        state.State.Queue = [.. state.State.Queue.Where(q => q.Host != proposal.Host)];
        if (current is null || !current.Candidates.ContainsKey(proposal.Host))
        {
            await state.WriteStateAsync();
            return;
        }
        var remaining = current.Candidates.Remove(proposal.Host);
        if (remaining.IsEmpty)
        {
            await EndAsync(current, current.Progress.Supersede($"{proposal.Host} went back to its baseline"), "superseded", commit: false);
            await StartNextAsync();
            return;
        }
        state.State.Current = current with { Candidates = remaining };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IServiceGrain>(Keys.ServiceKey.From(proposal.Host)).EndCandidateAsync(current.Id, commit: false);
    }

    private async Task StartAsync(List<RolloutProposal> proposals)
    {
        var first = proposals[0];
        var id = string.Create(CultureInfo.InvariantCulture, $"{Key}#{state.State.Started + 1}");
        var candidates = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, proposals.Select(p => KeyValuePair.Create(p.Host, p.Candidate)));
        var record = new RolloutRecord(id, first.Policy, candidates, first.Changes, ChangeKey(first.Changes), RolloutProgress.Start(Now), Now,
            ImmutableSortedSet<string>.Empty.WithComparer(StringComparer.Ordinal), ImmutableSortedDictionary<string, int>.Empty.WithComparers(StringComparer.Ordinal));
        var taken = proposals.Select(p => p.Host).ToHashSet(StringComparer.Ordinal);
        state.State.Started++;
        state.State.Current = record;
        state.State.Queue = [.. state.State.Queue.Where(q => !taken.Contains(q.Host))];
        await state.WriteStateAsync();
        LogStarted(logger, id, candidates.Keys, first.Changes, first.Policy.Stages[0]);
        // Candidates first, then the stage: a gateway that learns of the stage finds the variants (or
        // gets them moments later, and a stream wakes when they land).
        await Task.WhenAll(candidates.Select(c => GrainFactory.GetGrain<IServiceGrain>(Keys.ServiceKey.From(c.Key)).SetCandidateAsync(id, c.Value)));
        RolloutMetrics.SetStage(id, 0);
        await PublishAsync(record);
        Schedule(record);
    }

    private async Task JoinAsync(RolloutRecord current, RolloutProposal proposal)
    {
        state.State.Current = current with { Candidates = current.Candidates.SetItem(proposal.Host, proposal.Candidate) };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IServiceGrain>(Keys.ServiceKey.From(proposal.Host)).SetCandidateAsync(current.Id, proposal.Candidate);
        LogJoined(logger, current.Id, proposal.Host);
    }

    public async Task NackAsync(string rollout, string nodeId, string resource, string detail, string gateway, int gatewayCohort)
    {
        if (state.State.Current is not { Progress.InFlight: true } current || current.Id != rollout)
        {
            return; // a late report for a rollout that ended
        }
        var nacking = current.NackingProxies.Add(nodeId);
        var cohort = current.CohortByGateway.SetItem(gateway, gatewayCohort);
        var progress = current.Progress.OnNacks(current.Policy, nacking.Count, cohort.Values.Sum(),
            $"proxy {nodeId} NACKed {resource}: {detail}");
        current = current with { NackingProxies = nacking, CohortByGateway = cohort };
        LogNack(logger, rollout, nodeId, resource, detail);
        if (progress.Phase == RolloutPhase.RolledBack)
        {
            RolloutMetrics.GateFailures.Add(1, new KeyValuePair<string, object?>("reason", "nack"));
            await EndAsync(current, progress, "rolled_back", commit: false);
            await StartNextAsync();
            return;
        }
        state.State.Current = current;
        await state.WriteStateAsync();
    }

    public Task<RolloutStatus?> PauseAsync() => OperateAsync(p => p.Pause(Now), "paused");

    public Task<RolloutStatus?> ResumeAsync() => OperateAsync(p => p.Resume(Now), "resumed");

    public async Task<RolloutStatus?> PromoteAsync()
    {
        if (state.State.Current is not { Progress.InFlight: true } current)
        {
            return null;
        }
        LogOperator(logger, current.Id, "promote");
        await AdvanceAsync(current, current.Progress.Promote(current.Policy, Now));
        return Status(state.State.Current ?? state.State.History.FirstOrDefault());
    }

    public async Task<RolloutStatus?> AbortAsync(string reason)
    {
        if (state.State.Current is not { Progress.InFlight: true } current)
        {
            return null;
        }
        LogOperator(logger, current.Id, "abort");
        RolloutMetrics.GateFailures.Add(1, new KeyValuePair<string, object?>("reason", "aborted"));
        await EndAsync(current, current.Progress.RollBack($"aborted by an operator: {reason}"), "aborted", commit: false);
        var ended = state.State.History.FirstOrDefault();
        await StartNextAsync();
        return Status(ended);
    }

    public Task<ImmutableArray<RolloutStatus>> GetStatusAsync() =>
        Task.FromResult<ImmutableArray<RolloutStatus>>([.. (state.State.Current is { } c ? new[] { c } : []).Concat(state.State.History).Select(r => Status(r)!)]);

    private async Task<RolloutStatus?> OperateAsync(Func<RolloutProgress, RolloutProgress> operate, string what)
    {
        if (state.State.Current is not { Progress.InFlight: true } current)
        {
            return null;
        }
        var progress = operate(current.Progress);
        if (!ReferenceEquals(progress, current.Progress))
        {
            LogOperator(logger, current.Id, what);
            current = current with { Progress = progress };
            state.State.Current = current;
            await state.WriteStateAsync();
            Schedule(current);
        }
        return Status(current);
    }

    /// <summary>Applies a new progress: a wider stage is published, the end commits the candidates.</summary>
    private async Task AdvanceAsync(RolloutRecord current, RolloutProgress progress)
    {
        if (ReferenceEquals(progress, current.Progress))
        {
            Schedule(current);
            return;
        }
        if (progress.Phase == RolloutPhase.Succeeded)
        {
            await EndAsync(current, progress, "succeeded", commit: true);
            await StartNextAsync();
            return;
        }
        var stageChanged = progress.Stage != current.Progress.Stage;
        current = current with { Progress = progress };
        state.State.Current = current;
        await state.WriteStateAsync();
        if (stageChanged)
        {
            LogStage(logger, current.Id, progress.Stage, current.Policy.Stages[progress.Stage]);
            RolloutMetrics.SetStage(current.Id, progress.Stage);
            await PublishAsync(current);
        }
        Schedule(current);
    }

    /// <summary>
    /// Ends a rollout. A rollback (or supersede) publishes first, so every cohort stream goes back to
    /// the baseline its gateway still holds in one push, and drops the candidates after; a success
    /// commits the candidates as the baseline first (their content is what the cohort already holds)
    /// and publishes after, so no stream flips back to the old baseline in between.
    /// </summary>
    private async Task EndAsync(RolloutRecord current, RolloutProgress progress, string outcome, bool commit)
    {
        var ended = current with { Progress = progress, Ended = Now };
        state.State.Current = ended;
        if (progress.Phase == RolloutPhase.RolledBack)
        {
            state.State.RolledBack = state.State.RolledBack.Add(current.ChangeKey);
        }
        await state.WriteStateAsync();
        var services = current.Candidates.Keys.Select(h => GrainFactory.GetGrain<IServiceGrain>(Keys.ServiceKey.From(h))).ToList();
        if (commit)
        {
            await Task.WhenAll(services.Select(s => s.EndCandidateAsync(current.Id, commit: true)));
            await PublishAsync(ended);
        }
        else
        {
            await PublishAsync(ended);
            await Task.WhenAll(services.Select(s => s.EndCandidateAsync(current.Id, commit: false)));
        }
        state.State.Current = null;
        state.State.History = [ended, .. state.State.History.Take(HistoryLength - 1)];
        await state.WriteStateAsync();
        CancelTimer();
        RolloutMetrics.Ended(current.Id);
        RolloutMetrics.Outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        RolloutMetrics.Duration.Record((Now - current.Started).TotalSeconds);
        if (progress.Phase == RolloutPhase.Succeeded)
        {
            LogSucceeded(logger, current.Id, current.Changes);
        }
        else
        {
            LogEnded(logger, current.Id, outcome, progress.Reason ?? "no reason", current.Changes);
        }
    }

    /// <summary>Starts the oldest queued change (with every queued host of the same change).</summary>
    private async Task StartNextAsync()
    {
        if (state.State.Current is not null || state.State.Queue.IsEmpty)
        {
            return;
        }
        var key = ChangeKey(state.State.Queue[0].Changes);
        var next = state.State.Queue.Where(q => ChangeKey(q.Changes) == key).ToList();
        if (state.State.RolledBack.Contains(key))
        {
            state.State.Queue = [.. state.State.Queue.Where(q => ChangeKey(q.Changes) != key)];
            await state.WriteStateAsync();
            await StartNextAsync();
            return;
        }
        await StartAsync(next);
    }

    private Task PublishAsync(RolloutRecord record)
    {
        state.State.Sequence = Math.Max(state.State.Sequence + 1, Now.UtcTicks);
        return GrainFactory.GetGrain<IRolloutTableGrain>(RolloutTableGrain.Key)
            .PublishAsync(new RolloutView(record.Id, record.Policy.Stages, record.Progress.Stage, record.Progress.InFlight && record.Ended is null, state.State.Sequence));
    }

    /// <summary>Arms the one timer at the earliest of the bake's end and the next health check.</summary>
    private void Schedule(RolloutRecord current)
    {
        DateTimeOffset? due = current.Progress.BakeEnds(current.Policy);
        if (current.Policy.Gates.Health is { } health && current.Progress.InFlight)
        {
            _nextHealthCheck ??= Now + health.Interval;
            due = due is { } d && d < _nextHealthCheck ? d : _nextHealthCheck;
        }
        if (due == _timerDue && _timer is not null)
        {
            return;
        }
        CancelTimer();
        if (due is not { } at)
        {
            return;
        }
        _timerDue = at;
        var delay = at - Now;
        _timer = this.RegisterGrainTimer(static (grain, _) => grain.OnTimerAsync(), this,
            new GrainTimerCreationOptions(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
        _timerDue = null;
        if (state.State.Current is not { Progress.InFlight: true })
        {
            _nextHealthCheck = null;
        }
    }

    private async Task OnTimerAsync()
    {
        _timer?.Dispose();
        _timer = null;
        _timerDue = null;
        if (state.State.Current is not { Progress.InFlight: true } current)
        {
            return;
        }
        if (current.Policy.Gates.Health is { } health && _nextHealthCheck is { } check && Now >= check)
        {
            var verdict = await CheckHealthAsync(health);
            _nextHealthCheck = Now + health.Interval;
            var checkedProgress = current.Progress.OnHealth(current.Policy, verdict);
            if (!verdict.Pass)
            {
                LogHealthFailed(logger, current.Id, health.Url, verdict.Reason);
            }
            if (checkedProgress.Phase == RolloutPhase.RolledBack)
            {
                RolloutMetrics.GateFailures.Add(1, new KeyValuePair<string, object?>("reason", "health"));
                await EndAsync(current, checkedProgress, "rolled_back", commit: false);
                await StartNextAsync();
                return;
            }
            if (checkedProgress.HealthFailures != current.Progress.HealthFailures)
            {
                current = current with { Progress = checkedProgress };
                state.State.Current = current;
                await state.WriteStateAsync();
            }
        }
        await AdvanceAsync(current, current.Progress.Tick(current.Policy, Now));
    }

    /// <summary>One health check, bounded by its timeout: a timeout, a refused connection or a garbage answer is a failed check with its reason.</summary>
    private static async Task<HealthVerdict> CheckHealthAsync(HealthGate health)
    {
        using var cts = new CancellationTokenSource(health.Timeout);
        try
        {
            using var response = await Http.GetAsync(new Uri(health.Url), cts.Token);
            var body = await response.Content.ReadAsStringAsync(cts.Token);
            return HealthVerdict.Of((int)response.StatusCode, body.Length > 65_536 ? body[..65_536] : body);
        }
        catch (OperationCanceledException)
        {
            return HealthVerdict.Failed($"no answer within {health.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return HealthVerdict.Failed($"request failed: {e.Message}");
        }
    }

    internal static string ChangeKey(ImmutableArray<ChangedObject> changes) =>
        string.Join("|", changes.Select(c => $"{c.Kind}/{c.Namespace}/{c.Name}@{c.NewVersion ?? "-"}"));

    /// <summary>A rollout for operators; the queue length counts for the one in flight only.</summary>
    private RolloutStatus? Status(RolloutRecord? r) => r is null ? null : new RolloutStatus(
        r.Id,
        $"{r.Policy.Meta.Namespace}/{r.Policy.Meta.Name}",
        r.Progress.Phase.ToString(),
        r.Progress.Stage,
        r.Policy.Stages[Math.Clamp(r.Progress.Stage, 0, r.Policy.Stages.Length - 1)].ToString(),
        [.. r.Candidates.Keys],
        r.Changes,
        r.Started,
        r.Progress.BakeEnds(r.Policy),
        r.Ended,
        r.Progress.Reason,
        [.. r.NackingProxies],
        r.Progress.HealthFailures,
        ReferenceEquals(r, state.State.Current) ? state.State.Queue.Length : 0);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {Rollout} started for {Hosts}: {Changes}; stage 0 ({Stage})")]
    private static partial void LogStarted(ILogger logger, string rollout, IEnumerable<string> hosts, ImmutableArray<ChangedObject> changes, RolloutStage stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {Rollout}: {Host} joins (the same change)")]
    private static partial void LogJoined(ILogger logger, string rollout, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "RolloutPolicy {Policy}: change to {Host} queued behind rollout {Rollout}: {Changes}")]
    private static partial void LogQueued(ILogger logger, string policy, string host, string rollout, ImmutableArray<ChangedObject> changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RolloutPolicy {Policy}: change to {Host} not rolled out again: the same content was rolled back ({Change}); edit the object to try again")]
    private static partial void LogRefused(ILogger logger, string policy, string host, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {Rollout}: stage {Stage} ({Description})")]
    private static partial void LogStage(ILogger logger, string rollout, int stage, RolloutStage description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout {Rollout}: proxy {Node} NACKed candidate {Resource}: {Detail}")]
    private static partial void LogNack(ILogger logger, string rollout, string node, string resource, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout {Rollout}: health check {Url} failed: {Reason}")]
    private static partial void LogHealthFailed(ILogger logger, string rollout, string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {Rollout}: operator {Action}")]
    private static partial void LogOperator(ILogger logger, string rollout, string action);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {Rollout} succeeded: every stage passed; {Changes} is the baseline")]
    private static partial void LogSucceeded(ILogger logger, string rollout, ImmutableArray<ChangedObject> changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout {Rollout} ended: {Outcome} ({Reason}); {Changes}")]
    private static partial void LogEnded(ILogger logger, string rollout, string outcome, string reason, ImmutableArray<ChangedObject> changes);
}
