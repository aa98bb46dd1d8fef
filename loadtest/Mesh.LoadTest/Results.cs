using HdrHistogram;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>Latency percentiles in milliseconds (HdrHistogram, 3 significant digits).</summary>
internal sealed record Percentiles(long Count, double P50, double P95, double P99, double Max, double Mean)
{
    public static Percentiles Of(IEnumerable<TimeSpan> samples)
    {
        var h = new LongHistogram(1, 3_600_000_000L, 3);
        foreach (var s in samples)
        {
            h.RecordValue(Math.Clamp((long)(s.TotalMilliseconds * 1000), 1, 3_600_000_000L));
        }
        if (h.TotalCount == 0)
        {
            return new Percentiles(0, 0, 0, 0, 0, 0);
        }
        static double Ms(long micros) => Math.Round(micros / 1000.0, 2);
        return new Percentiles(h.TotalCount, Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(95)),
            Ms(h.GetValueAtPercentile(99)), Ms(h.GetMaxValue()), Math.Round(h.GetMean() / 1000.0, 2));
    }

    public override string ToString() => $"n={Count} p50 {P50} ms, p95 {P95} ms, p99 {P99} ms, max {Max} ms";
}

/// <summary>What the proxies received of one type: responses (pushes), resources, new-or-changed, resent unchanged after a reconnect.</summary>
internal sealed record TypeCount(long Responses, long Resources, long Changed, long Resent);

/// <summary>CPU and memory of this process (in-process target: mesh and simulated proxies together).</summary>
internal sealed record ProcessCost(double CpuSeconds, double PeakRssMb, string Note)
{
    public static ProcessCost Now()
    {
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return new ProcessCost(Math.Round(p.TotalProcessorTime.TotalSeconds, 2), Math.Round(p.PeakWorkingSet64 / 1048576.0, 1),
            "in-process: includes the simulated proxies");
    }
}

internal static class Pushes
{
    public static Dictionary<string, TypeCount> Of(ProxyCounters now, ProxyCounters? before = null) =>
        TypeUrls.PushOrder.ToDictionary(TypeUrls.ShortName, t => new TypeCount(
            now.Responses(t) - (before?.Responses(t) ?? 0),
            now.Resources(t) - (before?.Resources(t) ?? 0),
            now.Changed(t) - (before?.Changed(t) ?? 0),
            now.Resent(t) - (before?.Resent(t) ?? 0)));
}

/// <summary>A run's outcome: where its reports went and the points of its chart (x seconds, y ms).</summary>
internal abstract record RunResult
{
    public string? JsonPath { get; set; }

    public string? MarkdownPath { get; set; }

    public string? ChartPath { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<(double X, double Y)> Chart { get; init; } = [];
}

/// <summary>The <c>connect</c> scenario's outcome.</summary>
internal sealed record ConnectResult(
    LoadOptions Options,
    int Started,
    int FailedToStart,
    int FullConfig,
    int InSync,
    double RampSeconds,
    double AllFullConfigAfterRampSeconds,
    Percentiles TimeToFullConfig,
    Dictionary<string, TypeCount> Pushes,
    long UnsubscribedEdsUpdates,
    IReadOnlyList<string> SomeProblems,
    ProcessCost Cost,
    ServerPhase Server,
    GatewayMemory? Memory) : RunResult
{
    public bool AllFullConfig => FullConfig == Options.Proxies && InSync == Options.Proxies;

    /// <summary>Streams that failed and reconnects during connect (a proxy's first connect attempts included).</summary>
    public StreamResets? Resets { get; init; }

    /// <summary>The namespaced shape's size, scope count and silo memory per scope; null for the flat shape.</summary>
    public MeshShapeStats? Shape { get; init; }
}

/// <summary>The <c>eds-churn</c> and <c>config-churn</c> scenarios' outcome (after the connect phase).</summary>
internal sealed record ChurnResult(
    ConnectResult Connect,
    string Scenario,
    int ChangesApplied,
    int ChangesConverged,
    int AffectedProxies,
    int UnaffectedProxies,
    int ChurnedServices,
    int FinalInSync,
    Percentiles Convergence,
    Percentiles ConvergenceFromApply,
    IReadOnlyList<double?> ConvergenceMsPerChange,
    double FanoutPerSecondP50,
    long UnsubscribedEdsUpdates,
    long ResponsesToUnaffected,
    Dictionary<string, TypeCount> Pushes,
    IReadOnlyList<string> SomeProblems,
    ProcessCost Cost,
    ServerPhase Server) : RunResult
{
    /// <summary>Silo + gateway CPU seconds per change during the churn (ingest excluded), in ms; 0 when not attributable (embedded).</summary>
    public double MeshCpuMsPerChange => CpuMsPerChange(ingest: false);

    /// <summary>Ingest CPU ms per change (cluster target only).</summary>
    public double IngestCpuMsPerChange => CpuMsPerChange(ingest: true);

    /// <summary>Growth of the silo's <c>mesh_scope_builds_total</c> over the churn, per change; null when the silo does not export it.</summary>
    public double? ScopeBuildsPerChange { get; init; }

    /// <summary>Growth of the silo's <c>mesh_grain_calls_total</c> (all labels) over the churn, per change; null when the silo does not export it.</summary>
    public double? GrainCallsPerChange { get; init; }

    /// <summary>Per affected proxy of every change: ingest apply → the proxy holds the change; null when the ingest's timeline is not available.</summary>
    public Percentiles? ProxyConvergenceFromApply { get; init; }

    /// <summary>With <c>--rollout-stages</c>: the rollouts' outcomes, durations and the candidate bytes held (a line); null without.</summary>
    public string? Rollouts { get; init; }

    private double CpuMsPerChange(bool ingest) => ChangesApplied == 0 || !Connect.Options.Cluster ? 0
        : Math.Round(Server.Processes.Where(p => (p.Role == "ingest") == ingest).Sum(p => p.CpuSeconds) * 1000 / ChangesApplied, 2);
}

/// <summary>The <c>reconnect-storm</c> scenario's outcome (after the connect phase).</summary>
internal sealed record StormResult(
    ConnectResult Connect,
    int KilledGateway,
    bool Restarted,
    int ChangesDuringOutage,
    int ProxiesOnKilledGateway,
    int BackInSync,
    int FinalInSync,
    Percentiles KillToInSync,
    double AllBackInSyncMs,
    Dictionary<string, TypeCount> MovedDeltaPushes,
    int MovedDeltaProxies,
    Dictionary<string, TypeCount> MovedSotwPushes,
    int MovedSotwProxies,
    Dictionary<string, TypeCount> StayedPushes,
    long Reconnects,
    long SafetyViolations,
    IReadOnlyList<string> SomeProblems,
    ProcessCost Cost,
    ServerPhase Server) : RunResult;

/// <summary>What each mesh process spent during a phase: CPU seconds (JIT compiling among them), GC pauses, memory at its end, xDS pushes and bytes.</summary>
internal sealed record ServerPhase(double Seconds, IReadOnlyList<ProcessDelta> Processes)
{
    public double PushesPerSecond => Seconds <= 0 ? 0 : Math.Round(Processes.Sum(p => p.Pushes) / Seconds, 1);

    public double PushBytesPerSecond => Seconds <= 0 ? 0 : Math.Round(Processes.Sum(p => p.PushBytes) / Seconds, 0);

    public static ServerPhase Between(IReadOnlyList<ProcessSample> before, IReadOnlyList<ProcessSample> after, double seconds) =>
        new(Math.Round(seconds, 3), [.. after.Select(a =>
        {
            var b = before.FirstOrDefault(x => x.Role == a.Role);
            double D(string metric) => a.Metric(metric) - (b?.Metric(metric) ?? 0);
            return new ProcessDelta(a.Role, Math.Round(a.CpuSeconds - (b?.CpuSeconds ?? 0), 2),
                Math.Round(D("dotnet_jit_compilation_seconds_total"), 3), Math.Round(D("dotnet_gc_pause_seconds_total"), 3), a.RssMb, a.PeakRssMb,
                Math.Round(a.Metric("dotnet_gc_heap_after_last_gc_bytes") / 1048576.0, 1),
                (long)D("xds_pushes_total"), (long)D("xds_push_bytes_total"), (long)a.Metric("xds_connections"));
        })]);
}

/// <summary>One process's share of a phase; JitSeconds: time its JIT spent compiling; GcPauseSeconds: time it was paused for GC.</summary>
internal sealed record ProcessDelta(string Role, double CpuSeconds, double JitSeconds, double GcPauseSeconds, double RssMb, double PeakRssMb, double HeapAfterGcMb, long Pushes, long PushBytes, long Connections);

/// <summary>
/// Gateway memory per connected proxy: growth of the gateways' RSS and of their live managed heap
/// (sampled right after a full compacting GC, <c>POST /debug/gc</c>) from before the first proxy
/// connected to after all hold full config, over the streams they hold. Resource bodies are
/// shared, so they count once per gateway, not per proxy.
/// </summary>
internal sealed record GatewayMemory(long Streams, double RssGrowthMb, double HeapGrowthMb, double RssKbPerProxy, double HeapKbPerProxy)
{
    public static GatewayMemory? Of(IReadOnlyList<ProcessSample> idle, IReadOnlyList<ProcessSample> connected, bool cluster)
    {
        if (!cluster)
        {
            return null; // in process, the proxies' memory is the same process's
        }
        var gateways = connected.Where(s => s.Role.StartsWith("gateway", StringComparison.Ordinal)).ToList();
        var streams = (long)gateways.Sum(g => g.Metric("xds_connections"));
        var rss = gateways.Sum(g => g.RssMb - (idle.FirstOrDefault(i => i.Role == g.Role)?.RssMb ?? 0));
        var heap = gateways.Sum(g => (g.Metric("dotnet_gc_heap_after_last_gc_bytes") - (idle.FirstOrDefault(i => i.Role == g.Role)?.Metric("dotnet_gc_heap_after_last_gc_bytes") ?? 0)) / 1048576.0);
        return streams == 0 ? null : new GatewayMemory(streams, Math.Round(rss, 1), Math.Round(heap, 1),
            Math.Round(rss * 1024 / streams, 1), Math.Round(heap * 1024 / streams, 1));
    }
}

/// <summary>One mesh process at one moment: role (silo, ingest, gateway0…, or embedded), CPU, memory and its metrics.</summary>
internal sealed record ProcessSample(string Role, double CpuSeconds, double RssMb, double PeakRssMb, IReadOnlyDictionary<string, double> Metrics)
{
    public double Metric(string name) => Metrics.GetValueOrDefault(name);

    /// <summary>This process (in-process targets: the mesh or limit server together with the proxies).</summary>
    public static ProcessSample OfThisProcess(string role, IReadOnlyDictionary<string, double> metrics)
    {
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return new ProcessSample(role, Math.Round(p.TotalProcessorTime.TotalSeconds, 2), Math.Round(p.WorkingSet64 / 1048576.0, 1), Math.Round(p.PeakWorkingSet64 / 1048576.0, 1), metrics);
    }
}
