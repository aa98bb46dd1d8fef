using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Envoy.Config.Endpoint.V3;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;
using Mesh.Testing.Kubernetes;

namespace Mesh.LoadTest.Ingest;

/// <summary>
/// The <c>ingest</c> benchmark: a cluster of <see cref="IngestOptions.Services"/> Services with
/// <see cref="IngestOptions.Endpoints"/> endpoints each (EndpointSlices joined to Pods) in the fake
/// Kubernetes API server (the real list/watch protocol, in this process), served by the stand-alone
/// ingest process (KubernetesClient, leader election on a Lease) writing to a silo through Redis.
/// Phase 1 times the ingest from its start to every kind listed and to the first full apply (the mesh
/// ready), and measures the ingest's and silo's memory after a full GC. Phase 2 connects one probe
/// proxy (through a gateway) that sees namespace ns-0, then writes watch events at a fixed rate for a
/// fixed time: endpoint moves and Pod status heartbeats. It reports events/s applied, the lag after
/// the last event, CPU per event, what the heartbeats cost (nothing, if no grain is written), and for
/// the moves the probe sees, API write → probe holding the endpoint.
/// </summary>
internal static class IngestScenario
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<IngestResult> RunAsync(IngestOptions o, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(o);
        var status = o.Status;
        await using var api = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(60) }).ConfigureAwait(false);
        var mesh = new KubeMesh(o);
        var populate = Stopwatch.StartNew();
        mesh.Populate(api);
        o.Log?.Invoke($"API server {api.Url}: {string.Join(", ", mesh.Written.Select(kv => $"{kv.Value} {kv.Key}"))} in {populate.Elapsed.TotalSeconds:0.0} s");

        await using var target = await ClusterTarget.StartWithKubernetesAsync(api.Url, cancellationToken).ConfigureAwait(false);
        var ingestStarted = DateTime.UtcNow;
        using var ingest = new IngestProbe(target.Admin("ingest"));
        var problems = new List<string>();

        // Phase 1: initial sync.
        DateTime? listedAt = null;
        IngestState? state = null;
        var sync = LiveStatus.RunAsync(status, "initial sync", () => state?.Describe() ?? "starting", WaitAsync(async () =>
        {
            target.EnsureRunning("ingest");
            state = await ingest.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (state is { AllListed: true } && listedAt is null)
            {
                listedAt = DateTime.UtcNow;
            }
            return state is { Synced: true };
        }, o.Timeout, "the ingest to list every kind and apply it", cancellationToken));
        await sync.ConfigureAwait(false);
        var syncedAt = DateTime.UtcNow;
        var synced = state!;
        var afterSync = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        await target.CollectGarbageAsync(["ingest", "silo"], cancellationToken).ConfigureAwait(false);
        var live = await target.SampleAsync(cancellationToken).ConfigureAwait(false);

        // Phase 2: a probe proxy that sees ns-0, then churn.
        await target.AddGatewayAsync(cancellationToken).ConfigureAwait(false);
        var pending = new ConcurrentDictionary<string, DateTime>(StringComparer.Ordinal);
        var latencies = new ConcurrentBag<(DateTime Written, TimeSpan Latency)>();
        var probed = Enumerable.Range(0, o.Services).Where(mesh.Probed).Select(mesh.Cluster).ToList();
        await using var probe = new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode("probe-0", KubeMesh.ProbeNamespace, "10.255.255.1", new Dictionary<string, string> { ["app"] = "probe" }),
            Mode = ProxyMode.Delta,
            Gateways = target.Gateways,
            OnUpdate = u => OnProbeUpdate(u, pending, latencies),
        });
        await probe.StartAsync(cancellationToken).ConfigureAwait(false);
        var view = await probe.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Endpoint, probed), o.Timeout).ConfigureAwait(false);
        var unexpected = view.Held(TypeUrls.Cluster).Keys.Where(c => c.StartsWith("outbound|", StringComparison.Ordinal) && !probed.Contains(c)).ToList();
        if (unexpected.Count > 0)
        {
            problems.Add($"the probe holds {unexpected.Count} clusters outside ns-0 (its Sidecar limits it to ns-0), e.g. {unexpected[0]}");
        }

        var before = await ingest.ReadAsync(cancellationToken).ConfigureAwait(false);
        var beforeCpu = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var churnStart = DateTime.UtcNow;
        var lastWrite = churnStart;
        var sent = 0L;
        var churn = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < o.ChurnDuration)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * o.Rate);
                for (; sent < due; sent++)
                {
                    if (LoadOptions.Picked((int)(sent % int.MaxValue), o.HeartbeatShare))
                    {
                        mesh.Heartbeat(api);
                    }
                    else
                    {
                        mesh.MoveEndpoint(api, (service, address) =>
                        {
                            if (mesh.Probed(service))
                            {
                                pending[address] = DateTime.UtcNow;
                            }
                        });
                    }
                }
                lastWrite = DateTime.UtcNow;
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
        await LiveStatus.RunAsync(status, "churn", () => $"{mesh.Moves} endpoint moves, {mesh.Beats} heartbeats written", churn).ConfigureAwait(false);
        var churnEnd = DateTime.UtcNow;

        // Drained: the informers saw every event, no namespace waits for its debounce, and an apply completed after the last event.
        IngestState? now = null;
        await LiveStatus.RunAsync(status, "drain", () => now?.Describe() ?? "", WaitAsync(async () =>
        {
            target.EnsureRunning("ingest");
            now = await ingest.ReadAsync(cancellationToken).ConfigureAwait(false);
            return now.Events("EndpointSlice") - before.Events("EndpointSlice") >= mesh.Moves
                && now.Events("Pod") - before.Events("Pod") >= mesh.Beats
                && now.PendingNamespaces == 0
                && now.LastApplied >= now.LastEventAt("EndpointSlice");
        }, o.Timeout, "the ingest to apply every event", cancellationToken)).ConfigureAwait(false);
        var after = now!;
        var afterCpu = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var probeDone = await WaitQuietlyAsync(() => pending.IsEmpty, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (!probeDone)
        {
            problems.Add($"{pending.Count} endpoint moves of ns-0 never reached the probe, e.g. {pending.Keys.FirstOrDefault()}");
        }

        var drainedAt = after.LastApplied ?? DateTime.UtcNow;
        var events = mesh.Moves + mesh.Beats;
        double Cpu(IReadOnlyList<ProcessSample> a, IReadOnlyList<ProcessSample> b, string role) =>
            Math.Round((a.FirstOrDefault(s => s.Role == role)?.CpuSeconds ?? 0) - (b.FirstOrDefault(s => s.Role == role)?.CpuSeconds ?? 0), 2);
        double Heap(string role) => Math.Round((live.FirstOrDefault(s => s.Role == role)?.Metric("dotnet_gc_heap_after_last_gc_bytes") ?? 0) / 1048576.0, 1);
        double Rss(string role) => afterSync.FirstOrDefault(s => s.Role == role)?.RssMb ?? 0;
        var churnSeconds = (churnEnd - churnStart).TotalSeconds;
        var applySeconds = (drainedAt - churnStart).TotalSeconds;
        var result = new IngestResult(
            o,
            mesh.Written,
            synced.Objects,
            Math.Round(((listedAt ?? syncedAt) - ingestStarted).TotalSeconds, 2),
            Math.Round((syncedAt - ingestStarted).TotalSeconds, 2),
            Cpu(afterSync, [], "ingest"),
            Rss("ingest"), Heap("ingest"), Rss("silo"), Heap("silo"),
            Math.Round(Heap("ingest") * 1024 / Math.Max(1, synced.Objects), 2),
            mesh.Moves, mesh.Beats,
            Math.Round(events / Math.Max(0.001, churnSeconds), 1),
            Math.Round(events / Math.Max(0.001, applySeconds), 1),
            Math.Round(Math.Max(0, (drainedAt - lastWrite).TotalMilliseconds), 0),
            after.Events("EndpointSlice") - before.Events("EndpointSlice"),
            after.Events("Pod") - before.Events("Pod"),
            after.Changes("EndpointSlice") - before.Changes("EndpointSlice"),
            after.Changes("Pod") - before.Changes("Pod"),
            after.Applies - before.Applies,
            after.Writes - before.Writes,
            Cpu(afterCpu, beforeCpu, "ingest"), Cpu(afterCpu, beforeCpu, "silo"), Cpu(afterCpu, beforeCpu, "gateway0"),
            events == 0 ? 0 : Math.Round(Cpu(afterCpu, beforeCpu, "ingest") * 1e6 / events, 1),
            Percentiles.Of(latencies.Select(l => l.Latency)),
            pending.Count,
            problems)
        {
            Chart = [.. latencies.OrderBy(l => l.Written).Select(l => ((l.Written - churnStart).TotalSeconds, l.Latency.TotalMilliseconds))],
        };
        IngestReport.Write(o.ResultsDir, result);
        return result;
    }

    /// <summary>Every address in an updated ns-0 ClusterLoadAssignment that a move is waiting for: that move has arrived.</summary>
    private static void OnProbeUpdate(ResourceUpdate u, ConcurrentDictionary<string, DateTime> pending, ConcurrentBag<(DateTime, TimeSpan)> latencies)
    {
        if (u.TypeUrl != TypeUrls.Endpoint || u.Removed || pending.IsEmpty)
        {
            return;
        }
        var cla = ClusterLoadAssignment.Parser.ParseFrom(u.Body.Span);
        foreach (var lb in cla.Endpoints.SelectMany(e => e.LbEndpoints))
        {
            if (lb.Endpoint?.Address?.SocketAddress?.Address is { } address && pending.TryRemove(address, out var written))
            {
                latencies.Add((written, u.ReceivedAt - written));
            }
        }
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> done, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await done().ConfigureAwait(false))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }
            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    private static async Task<bool> WaitQuietlyAsync(Func<bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!done() && clock.Elapsed < timeout)
        {
            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
        return done();
    }
}

/// <summary>The ingest's <c>/debug/ingestz</c>, read for the benchmark.</summary>
internal sealed class IngestProbe(Uri admin) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _http.Dispose();

    public async Task<IngestState> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await _http.GetStringAsync(new Uri("/debug/ingestz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return IngestState.Parse(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return IngestState.Unreachable(ex.Message);
        }
    }
}

/// <summary>What the benchmark reads of <c>/debug/ingestz</c>.</summary>
internal sealed record IngestState(
    bool Synced,
    int PendingNamespaces,
    long Applies,
    long Writes,
    DateTime? LastApplied,
    IReadOnlyDictionary<string, (bool Synced, int Objects, long Events, long Changes, DateTime? LastEventAt)> Kinds,
    string? Error)
{
    public bool AllListed => Kinds.Count > 0 && Kinds.Values.All(k => k.Synced);

    public int Objects => Kinds.Values.Sum(k => k.Objects);

    public long Events(string kind) => Kinds.TryGetValue(kind, out var k) ? k.Events : 0;

    public long Changes(string kind) => Kinds.TryGetValue(kind, out var k) ? k.Changes : 0;

    public DateTime? LastEventAt(string kind) => Kinds.TryGetValue(kind, out var k) ? k.LastEventAt : null;

    public string Describe() => Error ?? string.Join(", ", Kinds.Where(k => k.Value.Objects > 0).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Value.Objects}{(k.Value.Synced ? "" : "…")}")))
        + string.Create(CultureInfo.InvariantCulture, $"; applies {Applies}, writes {Writes}{(Synced ? ", synced" : "")}");

    public static IngestState Unreachable(string why) => new(false, 0, 0, 0, null, new Dictionary<string, (bool, int, long, long, DateTime?)>(), why);

    public static IngestState Parse(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var root = doc.RootElement;
        var k8s = root.GetProperty("kubernetes");
        var kinds = k8s.GetProperty("kinds").EnumerateArray().ToDictionary(
            k => k.GetProperty("kind").GetString()!,
            k => (k.GetProperty("synced").GetBoolean(), k.GetProperty("objects").GetInt32(), k.GetProperty("events").GetInt64(),
                k.GetProperty("effectiveChanges").GetInt64(), Time(k.GetProperty("lastEventAt"))));
        return new IngestState(k8s.GetProperty("synced").GetBoolean(), k8s.GetProperty("pendingNamespaces").GetInt32(),
            root.GetProperty("applies").GetInt64(), root.GetProperty("writes").GetInt64(), Time(root.GetProperty("lastApplied")), kinds, null);
    }

    private static DateTime? Time(System.Text.Json.JsonElement e) =>
        e.ValueKind == System.Text.Json.JsonValueKind.String ? DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture).UtcDateTime : null;
}
