namespace Mesh.LoadTest;

/// <summary>
/// The silo's grain metrics as a run reads them from its <c>/metrics</c> samples (role <c>silo</c>,
/// or <c>embedded</c> when the whole mesh is this process). A metric the silo does not export reads
/// as null, which reports print as "n/a".
/// </summary>
internal static class SiloMetrics
{
    /// <summary>Scope grains active on the silo.</summary>
    public const string Scopes = "mesh_grain_activations{kind=\"scope\"}";

    /// <summary>Scope rebuilds.</summary>
    public const string ScopeBuilds = "mesh_scope_builds_total";

    /// <summary>Grain calls, summed over all labels.</summary>
    public const string GrainCalls = "mesh_grain_calls_total";

    /// <summary>The live managed heap when sampled right after a full GC.</summary>
    public const string HeapAfterGc = "dotnet_gc_heap_after_last_gc_bytes";

    public static ProcessSample? Silo(IReadOnlyList<ProcessSample> samples) =>
        samples.FirstOrDefault(s => s.Role == "silo") ?? samples.FirstOrDefault(s => s.Role == "embedded");

    /// <summary>The silo's value of <paramref name="metric"/>; null when absent.</summary>
    public static double? Value(IReadOnlyList<ProcessSample> samples, string metric) =>
        Silo(samples)?.Metrics.TryGetValue(metric, out var v) == true ? v : null;

    /// <summary>Growth of <paramref name="metric"/> between two samples (absent before counts as 0); null when absent after.</summary>
    public static double? Delta(IReadOnlyList<ProcessSample> before, IReadOnlyList<ProcessSample> after, string metric) =>
        Value(after, metric) is { } a ? a - (Value(before, metric) ?? 0) : null;

    /// <summary><see cref="Delta"/> per change, rounded; null when absent or there were no changes.</summary>
    public static double? PerChange(IReadOnlyList<ProcessSample> before, IReadOnlyList<ProcessSample> after, string metric, int changes) =>
        changes > 0 && Delta(before, after, metric) is { } d ? Math.Round(d / changes, 2) : null;

    /// <summary>A value for a report: the number, or "n/a".</summary>
    public static string Show(double? value, string unit = "") =>
        value is { } v ? v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + unit : "n/a";
}
