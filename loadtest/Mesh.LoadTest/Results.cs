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
    ProcessCost Cost)
{
    public string? JsonPath { get; set; }

    public string? MarkdownPath { get; set; }

    public bool AllFullConfig => FullConfig == Options.Proxies && InSync == Options.Proxies;
}

/// <summary>The <c>eds-churn</c> scenario's outcome (after its connect phase).</summary>
internal sealed record ChurnResult(
    ConnectResult Connect,
    int ChangesApplied,
    int ChangesConverged,
    int AffectedProxies,
    int UnaffectedProxies,
    int ChurnedServices,
    int FinalInSync,
    Percentiles Convergence,
    IReadOnlyList<double?> ConvergenceMsPerChange,
    long UnsubscribedEdsUpdates,
    long ResponsesToUnaffected,
    Dictionary<string, TypeCount> Pushes,
    IReadOnlyList<string> SomeProblems,
    ProcessCost Cost)
{
    public string? JsonPath { get; set; }

    public string? MarkdownPath { get; set; }
}
