using System.Diagnostics;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// The mesh scenarios. <c>connect</c>: ramp the proxies, time each from its start to holding its full
/// config. <c>eds-churn</c> / <c>config-churn</c>: after connect, change endpoints (or
/// VirtualServices/DestinationRules) at a fixed rate round-robin over the first K services and time
/// each change from its manifest write to the last affected proxy holding it; count pushes to
/// proxies that do not see the service. <c>reconnect-storm</c>: after connect, SIGKILL a gateway
/// and time until every proxy that was on it is back in sync, counting what was resent.
/// </summary>
internal static class Scenarios
{
    public static async Task<ConnectResult> RunConnectAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var result = await ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        Report.Write(options.ResultsDir, "connect", result);
        return result;
    }

    public static Task<ChurnResult> RunEdsChurnAsync(LoadOptions options, CancellationToken cancellationToken = default) =>
        RunChurnAsync(options, "eds-churn", cancellationToken);

    public static Task<ChurnResult> RunConfigChurnAsync(LoadOptions options, CancellationToken cancellationToken = default) =>
        RunChurnAsync(options, "config-churn", cancellationToken);

    /// <summary>config-churn --rollout-nack: connects, writes the policy, and times each change's rollback (<see cref="RolloutBench.RollbackAsync"/>).</summary>
    public static async Task<ConnectResult> RunRolloutRollbackAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        Report.Write(options.ResultsDir, "connect", connect); // the connect phase of the run, as every scenario reports it
        await RolloutBench.PrepareAsync(session, cancellationToken).ConfigureAwait(false);
        await RolloutBench.RollbackAsync(session, cancellationToken).ConfigureAwait(false);
        return connect;
    }

    public static async Task<StormResult> RunReconnectStormAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        var result = await StormAsync(session, connect, cancellationToken).ConfigureAwait(false);
        Report.Write(options.ResultsDir, "reconnect-storm", result);
        return result;
    }

    private static async Task<ChurnResult> RunChurnAsync(LoadOptions options, string scenario, CancellationToken cancellationToken)
    {
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        if (options.RolloutStages is not null)
        {
            await RolloutBench.PrepareAsync(session, cancellationToken).ConfigureAwait(false);
        }
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = options.RolloutStages is null ? Task.CompletedTask : SampleVariantsAsync();
        var result = await ChurnAsync(session, connect, scenario, cancellationToken).ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        if (options.RolloutStages is not null)
        {
            result = result with { Rollouts = await RolloutBench.SummarizeAsync(session, peak, cancellationToken).ConfigureAwait(false) };
        }
        Report.Write(options.ResultsDir, scenario, result);
        return result;

        // The gateways' candidate bytes every 250 ms through the churn (the peak: a rollout in flight).
        async Task SampleVariantsAsync()
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    peak = Math.Max(peak, await RolloutBench.VariantBytesAsync(session, sampling.Token).ConfigureAwait(false));
                    await Task.Delay(250, sampling.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    internal static async Task<ConnectResult> ConnectAsync(Session session, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var proxies = session.Swarm.Proxies;
        var started = 0;
        var failed = 0;
        var before = await session.Target!.SampleAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var rampStart = DateTime.UtcNow;
        var ramp = RampAsync();
        var rampTime = await LiveStatus.RunAsync(o, "connect ramp", () => $"{Volatile.Read(ref started)}/{proxies.Count} started, {session.States.Count(s => s.FullAt is not null)} with full config", ramp).ConfigureAwait(false);
        // The ramp ends when the last proxy starts (its first response may come later).
        var rampEnd = session.States.Max(s => s.StartedAt);

        var full = await LiveStatus.RunAsync(o, "full config", () => $"{session.States.Count(s => s.FullAt is not null)}/{proxies.Count}", WaitFullAsync()).ConfigureAwait(false);
        var expected = session.Generator.ExpectedEds();
        var inSync = await LiveStatus.RunAsync(o, "exact versions", () => "checking", session.Swarm.WaitAllAsync(v => session.InSync(v, expected), o.Timeout)).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var after = await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false);
        // Memory per proxy is the live heap: sampled after a full GC, apart from the phase's CPU.
        await session.Target.CollectGatewayGarbageAsync(cancellationToken).ConfigureAwait(false);
        var live = await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var resets = StreamResets.Of(proxies.Select(p => p.Counters()));
        var shape = o.Namespaced ? await MeshShapeStats.MeasureAsync(session, live, cancellationToken).ConfigureAwait(false) : null;
        if (o.Hold > TimeSpan.Zero)
        {
            o.Log?.Invoke($"holding the mesh and {proxies.Count} proxies for {o.Hold.TotalSeconds} s");
            await Task.Delay(o.Hold, cancellationToken).ConfigureAwait(false);
        }

        var times = session.States.Where(s => s.FullAt is not null).Select(s => s.FullAt!.Value - s.StartedAt).ToList();
        var last = session.States.Where(s => s.FullAt is not null).Select(s => s.FullAt!.Value).DefaultIfEmpty(rampEnd).Max();
        var problems = session.Problems.Concat(inSync.SomeUnsatisfied.Select(v => "not in sync: " + v)).ToList();
        var chart = session.States.Where(s => s.FullAt is not null)
            .Select(s => ((s.StartedAt - rampStart).TotalSeconds, (s.FullAt!.Value - s.StartedAt).TotalMilliseconds)).ToList();
        return new ConnectResult(o, proxies.Count - failed, failed, full, inSync.Satisfied, Math.Round(rampTime.TotalSeconds, 3),
            Math.Round(Math.Max(0, (last - rampEnd).TotalSeconds), 3), Percentiles.Of(times), Pushes.Of(session.Swarm.Counters()),
            session.UnsubscribedEdsUpdates, problems, session.Target.Cost(),
            ServerPhase.Between(before, after, seconds), GatewayMemory.Of(session.IdleSamples, live, o.Cluster))
        {
            Chart = chart,
            Resets = resets,
            Shape = shape,
        };

        async Task<TimeSpan> RampAsync()
        {
            using var slots = new SemaphoreSlim(o.MaxConcurrentConnects);
            var starts = new List<Task>(proxies.Count);
            try
            {
                for (var i = 0; i < proxies.Count; i++)
                {
                    var due = TimeSpan.FromSeconds(i / o.Ramp) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                    }
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    session.States[i].StartedAt = DateTime.UtcNow;
                    starts.Add(StartOneAsync(proxies[i], slots));
                    Interlocked.Increment(ref started);
                }
            }
            finally
            {
                await Task.WhenAll(starts).ConfigureAwait(false);
            }
            return clock.Elapsed;
        }

        async Task StartOneAsync(SimulatedProxy proxy, SemaphoreSlim slots)
        {
            try
            {
                await proxy.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                slots.Release();
            }
        }

        async Task<int> WaitFullAsync()
        {
            var deadline = DateTime.UtcNow + o.Timeout;
            while (session.States.Any(s => s.FullAt is null) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            return session.States.Count(s => s.FullAt is not null);
        }
    }

    private static async Task<ChurnResult> ChurnAsync(Session session, ConnectResult connect, string scenario, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var config = scenario == "config-churn";
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var churnedServices = session.Shape.Churned;
        var k = churnedServices.Count;
        var churned = churnedServices.Select(i => session.Generator.Services[i].Cluster).ToHashSet(StringComparer.Ordinal);
        var affectedSet = churned.SelectMany(session.Seers).ToHashSet();
        var unaffected = session.Swarm.Proxies.Where((_, i) => !affectedSet.Contains(i)).ToList();
        var before = session.Swarm.Counters();
        var unaffectedBefore = ProxyCounters.Sum(unaffected.Select(p => p.Counters())).TotalResponses;
        var unsubscribedBefore = session.UnsubscribedEdsUpdates;
        var changes = new List<Change>(o.Changes);
        var samplesBefore = await session.Target!.SampleAsync(cancellationToken).ConfigureAwait(false);
        session.StartRecording();
        var clock = Stopwatch.StartNew();
        var churnStart = DateTime.UtcNow;

        await LiveStatus.RunAsync(o, scenario, () => $"{changes.Count}/{o.Changes} changes written, {session.Events.Count} updates seen", ApplyAsync()).ConfigureAwait(false);
        var expectedEds = session.Generator.ExpectedEds();
        var expectedClusters = config ? session.Generator.ExpectedClusters() : null;
        var final = await LiveStatus.RunAsync(o, "convergence", () => "waiting for the last change", session.Swarm.WaitAllAsync(v => session.InSync(v, expectedEds, expectedClusters), o.Timeout)).ConfigureAwait(false);
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        session.StopRecording();
        var seconds = clock.Elapsed.TotalSeconds;
        var samplesAfter = await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false);

        var (perChange, perProxy) = Converge(session, changes);
        var converged = perChange.Where(c => c is not null).Select(c => TimeSpan.FromMilliseconds(c!.Value)).ToList();
        // The same convergence measured from the ingest's apply (grain writes began), which excludes the file watch and the debounce.
        var applies = await IngestTimeline.ReadAsync(session.Target.IngestAdmin, cancellationToken).ConfigureAwait(false);
        var fromApply = changes.Select((c, i) => perChange[i] is { } ms && IngestTimeline.AppliedAt(applies, c.WrittenAt) is { } at
                ? c.WrittenAt.AddMilliseconds(ms) - at : (TimeSpan?)null)
            .Where(t => t is not null).Select(t => t!.Value).ToList();
        // Every affected proxy of every change, from the ingest's apply to the proxy holding the
        // change (what Istio's pilot_proxy_convergence_time measures per proxy); a change's last
        // proxy is the stricter figure above.
        var proxyFromApply = changes.SelectMany((c, i) => IngestTimeline.AppliedAt(applies, c.WrittenAt) is { } at
                ? perProxy[i].Select(ms => ms - (at - c.WrittenAt).TotalMilliseconds) : [])
            .Select(ms => TimeSpan.FromMilliseconds(ms)).ToList();
        var fanout = changes.Select((c, i) => perChange[i] is { } ms and > 0 ? session.Seers(c.Cluster).Count / (ms / 1000.0) : (double?)null)
            .Where(r => r is not null).Select(r => r!.Value).Order().ToList();
        var unaffectedResponses = ProxyCounters.Sum(unaffected.Select(p => p.Counters())).TotalResponses - unaffectedBefore;
        var problems = session.Problems.Concat(final.SomeUnsatisfied.Select(v => "not in sync: " + v)).ToList();
        var chart = changes.Select((c, i) => (Change: c, Ms: perChange[i])).Where(x => x.Ms is not null)
            .Select(x => ((x.Change.WrittenAt - churnStart).TotalSeconds, x.Ms!.Value)).ToList();
        return new ChurnResult(connect, scenario, changes.Count, converged.Count, affectedSet.Count, unaffected.Count, k,
            final.Satisfied, Percentiles.Of(converged), Percentiles.Of(fromApply), perChange, fanout.Count == 0 ? 0 : Math.Round(fanout[fanout.Count / 2]),
            session.UnsubscribedEdsUpdates - unsubscribedBefore, unaffectedResponses,
            Pushes.Of(session.Swarm.Counters(), before), problems, session.Target.Cost(), ServerPhase.Between(samplesBefore, samplesAfter, seconds))
        {
            Chart = chart,
            ScopeBuildsPerChange = SiloMetrics.PerChange(samplesBefore, samplesAfter, SiloMetrics.ScopeBuilds, changes.Count),
            GrainCallsPerChange = SiloMetrics.PerChange(samplesBefore, samplesAfter, SiloMetrics.GrainCalls, changes.Count),
            ProxyConvergenceFromApply = proxyFromApply.Count == 0 ? null : Percentiles.Of(proxyFromApply),
        };

        async Task<int> ApplyAsync()
        {
            for (var c = 0; c < o.Changes; c++)
            {
                var due = TimeSpan.FromSeconds(c / o.Rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
                var service = churnedServices[c % k];
                var cluster = session.Generator.Services[service].Cluster;
                if (!config)
                {
                    var written = await session.Generator.ChangeEndpointAsync(service).ConfigureAwait(false);
                    changes.Add(new Change(ChangeKind.Endpoint, cluster, session.Generator.ExpectedEds()[cluster], c, written));
                }
                else if (o.ConfigKind == "vs" || (o.ConfigKind == "both" && c % 2 == 0))
                {
                    var written = await session.Generator.ChangeVirtualServiceAsync(service, c).ConfigureAwait(false);
                    changes.Add(new Change(ChangeKind.VirtualService, cluster, MeshGenerator.Marker(c), c, written));
                }
                else
                {
                    var written = await session.Generator.ChangeDestinationRuleAsync(service).ConfigureAwait(false);
                    changes.Add(new Change(ChangeKind.DestinationRule, cluster, session.Generator.ExpectedClusters()[cluster], c, written));
                }
            }
            return changes.Count;
        }
    }

    private static async Task<StormResult> StormAsync(Session session, ConnectResult connect, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var target = session.Target!;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var gateway = target.Gateways[o.KillGateway];
        var proxies = session.Swarm.Proxies;
        var moved = Enumerable.Range(0, proxies.Count).Where(i => proxies[i].View().ConnectedTo == gateway).ToList();
        var stayed = Enumerable.Range(0, proxies.Count).Except(moved).ToList();
        var before = proxies.Select(p => p.Counters()).ToList();
        var samplesBefore = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();

        if (!await target.KillGatewayAsync(o.KillGateway, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("reconnect-storm needs gateways it can kill: run with --cluster");
        }
        var killedAt = DateTime.UtcNow;
        for (var c = 0; c < o.ChangesDuringOutage; c++)
        {
            await session.Generator.ChangeEndpointAsync(session.Shape.Churned[c % session.Shape.Churned.Count]).ConfigureAwait(false);
        }
        if (o.Restart)
        {
            await target.RestartGatewayAsync(o.KillGateway, cancellationToken).ConfigureAwait(false);
        }
        var expected = session.Generator.ExpectedEds();
        var recovery = new double?[proxies.Count];
        var waits = moved.Select(async i =>
        {
            try
            {
                await proxies[i].WaitUntilAsync(v => session.InSync(v, expected), o.Timeout).ConfigureAwait(false);
                recovery[i] = (DateTime.UtcNow - killedAt).TotalMilliseconds;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                recovery[i] = null;
            }
        }).ToList();
        await LiveStatus.RunAsync(o, "reconnect storm", () => $"{recovery.Count(r => r is not null)}/{moved.Count} back in sync", Task.WhenAll(waits)).ConfigureAwait(false);
        var all = await session.Swarm.WaitAllAsync(v => session.InSync(v, expected), o.Timeout).ConfigureAwait(false);
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var samplesAfter = await target.SampleAsync(cancellationToken).ConfigureAwait(false);

        var after = proxies.Select(p => p.Counters()).ToList();
        Dictionary<string, TypeCount> Delta(IEnumerable<int> which) => Pushes.Of(
            ProxyCounters.Sum(which.Select(i => after[i])), ProxyCounters.Sum(which.Select(i => before[i])));
        var movedDelta = moved.Where(i => proxies[i].Options.Mode == ProxyMode.Delta).ToList();
        var movedSotw = moved.Where(i => proxies[i].Options.Mode == ProxyMode.Sotw).ToList();
        var times = moved.Where(i => recovery[i] is not null).Select(i => TimeSpan.FromMilliseconds(recovery[i]!.Value)).ToList();
        var sumAfter = ProxyCounters.Sum(after);
        var sumBefore = ProxyCounters.Sum(before);
        var problems = session.Problems.Concat(all.SomeUnsatisfied.Select(v => "not in sync: " + v)).ToList();
        var chart = moved.Where(i => recovery[i] is not null).Select(i => ((double)i, recovery[i]!.Value)).ToList();
        return new StormResult(connect, o.KillGateway, o.Restart, o.ChangesDuringOutage, moved.Count, times.Count, all.Satisfied,
            Percentiles.Of(times), times.Count == 0 ? 0 : Math.Round(times.Max(t => t.TotalMilliseconds), 1),
            Delta(movedDelta), movedDelta.Count, Delta(movedSotw), movedSotw.Count, Delta(stayed),
            sumAfter.Reconnects - sumBefore.Reconnects, sumAfter.SafetyViolations - sumBefore.SafetyViolations,
            problems, target.Cost(), ServerPhase.Between(samplesBefore, samplesAfter, seconds))
        {
            Chart = chart,
        };
    }

    /// <summary>
    /// Per change: ms from its write until the last proxy that sees its cluster applied it, or a later
    /// change of the same cluster and kind (debounce may merge changes); null if some proxy never did.
    /// Endpoint and DestinationRule changes match on the EDS or cluster version the pure builders
    /// computed; VirtualService changes on the change's marker in route 80's bytes.
    /// </summary>
    private static (List<double?> Last, List<List<double>> PerProxy) Converge(Session session, List<Change> changes)
    {
        var byProxy = session.Events.GroupBy(e => (e.TypeUrl, e.Name, e.Proxy))
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.ReceivedAt).ToList());
        var result = new List<double?>(changes.Count);
        var perProxy = new List<List<double>>(changes.Count);
        for (var c = 0; c < changes.Count; c++)
        {
            var change = changes[c];
            var later = changes.Skip(c).Where(x => x.Cluster == change.Cluster && x.Kind == change.Kind).ToList();
            var versions = later.Select(x => x.Expected).ToHashSet(StringComparer.Ordinal);
            var markers = later.Select(x => x.Index).ToHashSet();
            var (type, name) = change.Kind switch
            {
                ChangeKind.Endpoint => (TypeUrls.Endpoint, change.Cluster),
                ChangeKind.DestinationRule => (TypeUrls.Cluster, change.Cluster),
                _ => (TypeUrls.Route, "80"),
            };
            DateTime? lastAt = change.WrittenAt;
            var each = new List<double>();
            perProxy.Add(each);
            foreach (var p in session.Seers(change.Cluster))
            {
                var hit = byProxy.TryGetValue((type, name, p), out var list)
                    ? list.FirstOrDefault(e => e.ReceivedAt >= change.WrittenAt.AddMilliseconds(-5)
                        && (change.Kind == ChangeKind.VirtualService ? e.Markers.Any(markers.Contains) : versions.Contains(e.Version)))
                    : default;
                if (hit.Name is null)
                {
                    lastAt = null;
                    break;
                }
                each.Add((hit.ReceivedAt - change.WrittenAt).TotalMilliseconds);
                if (hit.ReceivedAt > lastAt)
                {
                    lastAt = hit.ReceivedAt;
                }
            }
            result.Add(lastAt is { } at ? Math.Round((at - change.WrittenAt).TotalMilliseconds, 2) : null);
        }
        return (result, perProxy);
    }

    private enum ChangeKind
    {
        Endpoint,
        VirtualService,
        DestinationRule,
    }

    /// <summary>One change: its kind, the cluster of the service it touched, the version (or marker) proxies must end up with, its index and when its file appeared.</summary>
    private sealed record Change(ChangeKind Kind, string Cluster, string Expected, int Index, DateTime WrittenAt);
}
