using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Hosting;

/// <summary>
/// Process and runtime gauges every Mesh process exports (Prometheus' conventional names): CPU
/// seconds, resident and peak resident memory, the managed heap after the last GC, allocations,
/// collections and JIT compilation. Load tests read them to attribute cost to each process.
/// </summary>
internal static class ProcessMetrics
{
    private static readonly Meter Meter = new("Mesh.Process");

    static ProcessMetrics()
    {
        Meter.CreateObservableCounter("process_cpu_seconds", () => Current(p => p.TotalProcessorTime.TotalSeconds), "s", "User and system CPU time of this process.");
        Meter.CreateObservableGauge("process_resident_memory_bytes", () => Current(p => (double)p.WorkingSet64), "By", "Resident memory (RSS).");
        Meter.CreateObservableGauge("process_peak_resident_memory_bytes", () => Current(p => (double)p.PeakWorkingSet64), "By", "Peak resident memory.");
        Meter.CreateObservableGauge("dotnet_gc_heap_after_last_gc_bytes", () => (double)GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size after the most recent GC (live data plus fragmentation).");
        Meter.CreateObservableGauge("dotnet_gc_committed_bytes", () => (double)GC.GetGCMemoryInfo().TotalCommittedBytes, "By", "Memory committed by the GC.");
        Meter.CreateObservableCounter("dotnet_gc_allocated_bytes", () => (double)GC.GetTotalAllocatedBytes(), "By", "Bytes allocated on the managed heap.");
        Meter.CreateObservableCounter("dotnet_gc_pause_seconds", () => GC.GetTotalPauseDuration().TotalSeconds, "s", "Time the runtime was paused for garbage collection.");
        Meter.CreateObservableCounter("dotnet_jit_compilation_seconds", () => System.Runtime.JitInfo.GetCompilationTime().TotalSeconds, "s", "Time the JIT spent compiling methods (tier-up included).");
        Meter.CreateObservableCounter("dotnet_jit_methods", () => (double)System.Runtime.JitInfo.GetCompiledMethodCount(), description: "Methods compiled by the JIT (tier-up included).");
        Meter.CreateObservableCounter("dotnet_gc_collections", () => new[]
        {
            new Measurement<double>(GC.CollectionCount(0), new KeyValuePair<string, object?>("generation", "0")),
            new Measurement<double>(GC.CollectionCount(1), new KeyValuePair<string, object?>("generation", "1")),
            new Measurement<double>(GC.CollectionCount(2), new KeyValuePair<string, object?>("generation", "2")),
        }, description: "Garbage collections, by generation.");
    }

    /// <summary>Touches the type so its instruments exist before the listener starts.</summary>
    public static void EnsureCreated() => _ = Meter;

    private static double Current(Func<Process, double> read)
    {
        using var p = Process.GetCurrentProcess();
        return read(p);
    }
}
