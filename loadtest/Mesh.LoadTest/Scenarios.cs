using System.Diagnostics;
using Mesh.LoadTest.Proxies;

namespace Mesh.LoadTest;

/// <summary>
/// The scenarios. <c>connect</c>: ramp the proxies, time each from its start to holding its full
/// config. <c>eds-churn</c>: after connect, move endpoints at a fixed rate round-robin over the first
/// K services and time each change from its manifest write to the last affected proxy holding the
/// exact EDS version the pure builders compute; count pushes to proxies that do not see the service.
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

    public static async Task<ChurnResult> RunEdsChurnAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        var result = await ChurnAsync(session, connect, cancellationToken).ConfigureAwait(false);
        Report.Write(options.ResultsDir, "eds-churn", result);
        return result;
    }

    private static async Task<ConnectResult> ConnectAsync(Session session, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var proxies = session.Swarm.Proxies;
        var started = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        var ramp = RampAsync();
        var rampTime = await LiveStatus.RunAsync(o, "connect ramp", () => $"{Volatile.Read(ref started)}/{proxies.Count} started, {session.States.Count(s => s.FullAt is not null)} with full config", ramp).ConfigureAwait(false);
        // The ramp ends when the last proxy starts (its first response may come later).
        var rampEnd = session.States.Max(s => s.StartedAt);

        var full = await LiveStatus.RunAsync(o, "full config", () => $"{session.States.Count(s => s.FullAt is not null)}/{proxies.Count}", WaitFullAsync()).ConfigureAwait(false);
        var expected = session.Generator.ExpectedEds();
        var inSync = await LiveStatus.RunAsync(o, "exact versions", () => "checking", session.Swarm.WaitAllAsync(v => session.InSync(v, expected), o.Timeout)).ConfigureAwait(false);

        var times = session.States.Where(s => s.FullAt is not null).Select(s => s.FullAt!.Value - s.StartedAt).ToList();
        var last = session.States.Where(s => s.FullAt is not null).Select(s => s.FullAt!.Value).DefaultIfEmpty(rampEnd).Max();
        var problems = session.Problems.Concat(inSync.SomeUnsatisfied.Select(v => "not in sync: " + v)).ToList();
        return new ConnectResult(o, proxies.Count - failed, failed, full, inSync.Satisfied, Math.Round(rampTime.TotalSeconds, 3),
            Math.Round(Math.Max(0, (last - rampEnd).TotalSeconds), 3), Percentiles.Of(times), Pushes.Of(session.Swarm.Counters()),
            session.UnsubscribedEdsUpdates, problems, session.Target!.Cost());

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

    private static async Task<ChurnResult> ChurnAsync(Session session, ConnectResult connect, CancellationToken cancellationToken)
    {
        var o = session.Options;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var before = session.Swarm.Counters();
        var unaffected = session.Swarm.Proxies.Where((_, i) => !session.States[i].Wide).ToList();
        var unaffectedBefore = ProxyCounters.Sum(unaffected.Select(p => p.Counters())).TotalResponses;
        var unsubscribedBefore = session.UnsubscribedEdsUpdates;
        var k = o.ChurnedServices;
        var changes = new List<Change>(o.Changes);
        session.StartRecording();
        var clock = Stopwatch.StartNew();

        await LiveStatus.RunAsync(o, "eds churn", () => $"{changes.Count}/{o.Changes} changes written, {session.Events.Count} EDS updates seen", ApplyAsync()).ConfigureAwait(false);
        var expected = session.Generator.ExpectedEds();
        var final = await LiveStatus.RunAsync(o, "convergence", () => "waiting for the last change", session.Swarm.WaitAllAsync(v => session.InSync(v, expected), o.Timeout)).ConfigureAwait(false);
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        session.StopRecording();

        var perChange = Converge(session, changes);
        var converged = perChange.Where(c => c is not null).Select(c => TimeSpan.FromMilliseconds(c!.Value)).ToList();
        var unaffectedResponses = ProxyCounters.Sum(unaffected.Select(p => p.Counters())).TotalResponses - unaffectedBefore;
        var problems = session.Problems.Concat(final.SomeUnsatisfied.Select(v => "not in sync: " + v)).ToList();
        return new ChurnResult(connect, changes.Count, converged.Count, session.States.Count(s => s.Wide), unaffected.Count, k,
            final.Satisfied, Percentiles.Of(converged), perChange, session.UnsubscribedEdsUpdates - unsubscribedBefore, unaffectedResponses,
            Pushes.Of(session.Swarm.Counters(), before), problems, session.Target!.Cost());

        async Task<int> ApplyAsync()
        {
            for (var c = 0; c < o.Changes; c++)
            {
                var due = TimeSpan.FromSeconds(c / o.Rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
                var service = c % k;
                var written = await session.Generator.ChangeEndpointAsync(service).ConfigureAwait(false);
                var cluster = MeshGenerator.Cluster(service);
                changes.Add(new Change(cluster, session.Generator.ExpectedEds()[cluster], written));
            }
            return changes.Count;
        }
    }

    /// <summary>
    /// Per change: ms from its write until the last proxy that sees its cluster applied its version
    /// or a later change's version of the same cluster (debounce may merge changes); null if some never did.
    /// </summary>
    private static List<double?> Converge(Session session, List<Change> changes)
    {
        var events = session.Events
            .GroupBy(e => (e.Cluster, e.Proxy))
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.ReceivedAt).ToList());
        var affected = Enumerable.Range(0, session.States.Count).Where(i => session.States[i].Wide).ToList();
        var result = new List<double?>(changes.Count);
        for (var c = 0; c < changes.Count; c++)
        {
            var change = changes[c];
            var acceptable = changes.Skip(c).Where(x => x.Cluster == change.Cluster).Select(x => x.Version).ToHashSet(StringComparer.Ordinal);
            DateTime? lastAt = change.WrittenAt;
            foreach (var p in affected)
            {
                var hit = events.TryGetValue((change.Cluster, p), out var list) ? list.FirstOrDefault(e => acceptable.Contains(e.Version)) : default;
                if (hit.Cluster is null)
                {
                    lastAt = null;
                    break;
                }
                if (hit.ReceivedAt > lastAt)
                {
                    lastAt = hit.ReceivedAt;
                }
            }
            result.Add(lastAt is { } at ? Math.Round((at - change.WrittenAt).TotalMilliseconds, 2) : null);
        }
        return result;
    }

    private sealed record Change(string Cluster, string Version, DateTime WrittenAt);
}
