using System.Diagnostics;
using System.Globalization;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// The <c>namespace-create</c> scenario on the namespaced mesh: connect, then create namespace
/// ns-N with S services and its default Sidecar (itself and <c>shared</c>). No existing proxy sees
/// it, so none may be sent anything. Measured once the ingest has applied it and the mesh is quiet:
/// the scopes the silo rebuilt (<c>mesh_scope_builds_total</c>), its grain calls, and the responses
/// the existing proxies received. Then one probe proxy of the new namespace connects and must hold
/// exactly its services and the shared ones.
/// </summary>
internal static class NamespaceCreateScenario
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    public static async Task<NamespaceCreateResult> RunAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        if (!options.Namespaced)
        {
            throw new ArgumentException("namespace-create runs on the namespaced mesh: set Namespaces (--namespaces)", nameof(options));
        }
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await Scenarios.ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        var result = await CreateAsync(session, connect, cancellationToken).ConfigureAwait(false);
        Write(result);
        return result;
    }

    private static async Task<NamespaceCreateResult> CreateAsync(Session session, ConnectResult connect, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var target = session.Target!;
        var proxies = session.Swarm.Proxies;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var ns = string.Create(CultureInfo.InvariantCulture, $"ns-{o.Namespaces}");
        var before = session.Swarm.Counters();
        var unsubscribedBefore = session.UnsubscribedEdsUpdates;
        var samplesBefore = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var firstWrite = DateTime.UtcNow;
        var (added, writtenAt) = await session.Generator.AddNamespaceAsync(ns, o.NewNamespaceServices, o.WorkloadsPerNamespace).ConfigureAwait(false);
        var problems = new List<string>();

        // Applied: an ingest apply that began after the last file appeared (it read them all) has completed.
        var applied = await LiveStatus.RunAsync(o, $"ingest apply of {ns}", () => $"{added.Count} services and a Sidecar written",
            PollAsync(async () => IngestTimeline.AppliedAt(await IngestTimeline.ReadAsync(target.IngestAdmin, cancellationToken).ConfigureAwait(false), writtenAt), o.Timeout, cancellationToken)).ConfigureAwait(false);
        if (applied is null)
        {
            problems.Add($"the ingest did not apply {ns} within {o.Timeout.TotalSeconds} s");
        }
        var settled = await SettleAsync(session, o.Timeout, cancellationToken).ConfigureAwait(false);
        if (!settled)
        {
            problems.Add($"the mesh was not quiet (responses or scope builds) for {Quiet.TotalSeconds} s within {o.Timeout.TotalSeconds} s of the apply");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var samplesAfter = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var after = session.Swarm.Counters();

        // The probe: one proxy of the new namespace, which must see exactly its services and the shared ones.
        var visible = added.Concat(session.Generator.Services.Where(s => s.Namespace == MeshShape.SharedNs))
            .Select(s => s.Cluster).ToHashSet(StringComparer.Ordinal);
        var (probeInSync, probeMs, probeView) = await ProbeAsync(session, ns, visible, cancellationToken).ConfigureAwait(false);
        if (!probeInSync)
        {
            problems.Add($"probe of {ns} not in sync (it must hold exactly {visible.Count} clusters): {probeView}");
        }
        var afterProbe = session.Swarm.Counters();
        problems.AddRange(session.Problems);

        return new NamespaceCreateResult(connect, ns, added.Count, proxies.Count,
            applied is { } at ? Math.Round((at - firstWrite).TotalMilliseconds, 1) : null, settled,
            SiloMetrics.Delta(samplesBefore, samplesAfter, SiloMetrics.ScopeBuilds), SiloMetrics.Delta(samplesBefore, samplesAfter, SiloMetrics.GrainCalls),
            SiloMetrics.Value(samplesBefore, SiloMetrics.Scopes), SiloMetrics.Value(samplesAfter, SiloMetrics.Scopes),
            after.TotalResponses - before.TotalResponses, afterProbe.TotalResponses - before.TotalResponses, Pushes.Of(afterProbe, before),
            session.UnsubscribedEdsUpdates - unsubscribedBefore, probeInSync, probeMs, visible.Count,
            problems, target.Cost(), ServerPhase.Between(samplesBefore, samplesAfter, seconds))
        {
            Chart = connect.Chart,
        };
    }

    /// <summary>Waits until no proxy got a response and the silo built no scope for <see cref="Quiet"/>; false at the timeout.</summary>
    private static async Task<bool> SettleAsync(Session session, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        (long, double?) Now(IReadOnlyList<ProcessSample> samples) => (session.Swarm.Counters().TotalResponses, SiloMetrics.Value(samples, SiloMetrics.ScopeBuilds));
        var last = Now(await session.Target!.SampleAsync(cancellationToken).ConfigureAwait(false));
        var since = clock.Elapsed;
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            var now = Now(await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false));
            if (now != last)
            {
                (last, since) = (now, clock.Elapsed);
            }
            else if (clock.Elapsed - since >= Quiet)
            {
                return true;
            }
        }
        return false;
    }

    private static async Task<(bool InSync, double? Ms, ProxyView View)> ProbeAsync(Session session, string ns, HashSet<string> visible, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var index = o.Proxies;
        var workload = "w-0";
        var node = SimulatedProxyOptions.SidecarNode(MeshShape.PodName(workload, ns, index), ns, MeshShape.ProxyIp(index),
            new Dictionary<string, string> { ["app"] = workload }, workload);
        await using var probe = new SimulatedProxy(new SimulatedProxyOptions { Node = node, Gateways = session.Target!.Gateways, MaxConnectAttempts = 50, Seed = index });
        var expected = session.Generator.ExpectedEds();
        var started = DateTime.UtcNow;
        try
        {
            await probe.StartAsync(cancellationToken).ConfigureAwait(false);
            await probe.WaitUntilAsync(v => visible.All(c => v.Holds(TypeUrls.Cluster, c) && expected.TryGetValue(c, out var e) && v.Version(TypeUrls.Endpoint, c) == e)
                && Session.HoldsOnly(v, visible) && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Holds(TypeUrls.Route, "80"), o.Timeout).ConfigureAwait(false);
            return (true, Math.Round((DateTime.UtcNow - started).TotalMilliseconds, 1), probe.View());
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            return (false, null, probe.View());
        }
    }

    private static async Task<T?> PollAsync<T>(Func<Task<T?>> read, TimeSpan timeout, CancellationToken cancellationToken)
        where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await read().ConfigureAwait(false) is { } value)
            {
                return value;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return null;
    }

    private static void Write(NamespaceCreateResult r)
    {
        var o = r.Connect.Options;
        var sb = Report.Header("namespace-create", o);
        Report.Connect(sb, r.Connect);
        sb.Append(CultureInfo.InvariantCulture, $"""

            ## Namespace created: {r.Namespace}, {r.Services} services and its Sidecar (./* and shared/*)

            | | |
            | --- | --- |
            | first write → ingest apply (its grain writes began; ms) | {SiloMetrics.Show(r.WriteToAppliedMs)} |
            | mesh quiet after the apply (no response, no scope build for 1 s) | {r.Settled} |
            | scopes rebuilt (silo's mesh_scope_builds_total) | {SiloMetrics.Show(r.ScopeBuilds)} |
            | grain calls (silo's mesh_grain_calls_total, all labels) | {SiloMetrics.Show(r.GrainCalls)} |
            | scopes before / after (silo's mesh_grain_activations, kind scope) | {SiloMetrics.Show(r.ScopesBefore)} / {SiloMetrics.Show(r.ScopesAfter)} |
            | responses to the {r.ExistingProxies} existing proxies, until quiet / until the probe was done (must be 0) | {r.ResponsesToExisting} / {r.ResponsesToExistingWithProbe} |
            | EDS updates for clusters the proxy does not see | {r.UnsubscribedEdsUpdates} |
            | probe proxy of {r.Namespace} holds exactly its {r.ProbeClusters} clusters / start → full config (ms) | {r.ProbeInSync} / {SiloMetrics.Show(r.ProbeFullConfigMs)} |

            Received by the existing proxies:


            """);
        Report.PushTable(sb, r.PushesToExisting);
        Report.ServerTable(sb, "from the first write until quiet", r.Server);
        Report.Problems(sb, r.SomeProblems);
        Report.Save(o.ResultsDir, "namespace-create", r, sb, "Connect: time from a proxy's start to its full config", "proxy start (s since the ramp began)", "start → full config (ms)");
    }
}

/// <summary>The <c>namespace-create</c> scenario's outcome (after the connect phase).</summary>
internal sealed record NamespaceCreateResult(
    ConnectResult Connect,
    string Namespace,
    int Services,
    int ExistingProxies,
    double? WriteToAppliedMs,
    bool Settled,
    double? ScopeBuilds,
    double? GrainCalls,
    double? ScopesBefore,
    double? ScopesAfter,
    long ResponsesToExisting,
    long ResponsesToExistingWithProbe,
    Dictionary<string, TypeCount> PushesToExisting,
    long UnsubscribedEdsUpdates,
    bool ProbeInSync,
    double? ProbeFullConfigMs,
    int ProbeClusters,
    IReadOnlyList<string> SomeProblems,
    ProcessCost Cost,
    ServerPhase Server) : RunResult
{
    public bool Ok => Connect.AllFullConfig && Settled && ResponsesToExistingWithProbe == 0 && UnsubscribedEdsUpdates == 0 && ProbeInSync;
}
