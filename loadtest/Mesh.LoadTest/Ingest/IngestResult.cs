using System.Globalization;
using System.Text;

namespace Mesh.LoadTest.Ingest;

/// <summary>The <c>ingest</c> benchmark's outcome.</summary>
internal sealed record IngestResult(
    IngestOptions Options,
    IReadOnlyDictionary<string, int> ObjectsInApi,
    int ObjectsListed,
    double ListedSeconds,
    double SyncedSeconds,
    double SyncCpuSeconds,
    double IngestRssMb,
    double IngestLiveHeapMb,
    double SiloRssMb,
    double SiloLiveHeapMb,
    double IngestHeapKbPerObject,
    int EndpointMoves,
    int Heartbeats,
    double EventsPerSecondWritten,
    double EventsPerSecondApplied,
    double LagAfterLastWriteMs,
    long SliceEventsSeen,
    long PodEventsSeen,
    long SliceChanges,
    long PodChanges,
    long Applies,
    long GrainWrites,
    double ChurnIngestCpuSeconds,
    double ChurnSiloCpuSeconds,
    double ChurnGatewayCpuSeconds,
    double IngestCpuMicrosPerEvent,
    Percentiles WriteToProbe,
    int ProbeMissing,
    IReadOnlyList<string> Problems) : RunResult
{
    /// <summary>Every event seen, every move applied, no heartbeat turned into a change, the probe got every move it sees.</summary>
    public bool Ok => SliceEventsSeen >= EndpointMoves && PodEventsSeen >= Heartbeats && PodChanges == 0 && ProbeMissing == 0 && Problems.Count == 0;
}

internal static class IngestReport
{
    public static void Write(string dir, IngestResult r)
    {
        var o = r.Options;
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            # Mesh load test: ingest

            {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores. The fake Kubernetes API server (real list/watch
            protocol) runs in the load tool; redis-server, one silo, the stand-alone ingest (KubernetesClient, Lease leader
            election) and one xDS gateway are child processes on 127.0.0.1.

            Parameters: services {o.Services}, endpoints per service {o.Endpoints} ({o.TotalEndpoints} endpoints, one Pod each),
            namespaces {o.Namespaces}, nodes {o.Nodes}, churn {o.Rate} events/s for {o.ChurnDuration.TotalSeconds} s, heartbeat share {o.HeartbeatShare}.

            ## Initial sync

            | | |
            | --- | --- |
            | objects in the API | {string.Join(", ", r.ObjectsInApi.Select(kv => $"{kv.Value} {kv.Key}"))} |
            | objects listed by the ingest | {r.ObjectsListed} |
            | ingest start → every kind listed | {r.ListedSeconds} s |
            | ingest start → synced (first full apply written, mesh ready) | {r.SyncedSeconds} s |
            | ingest CPU until synced | {r.SyncCpuSeconds} s |
            | ingest RSS after sync / live heap after a full GC | {r.IngestRssMb} MB / {r.IngestLiveHeapMb} MB ({r.IngestHeapKbPerObject} KB per object) |
            | silo RSS after sync / live heap after a full GC | {r.SiloRssMb} MB / {r.SiloLiveHeapMb} MB |

            ## Churn

            | | |
            | --- | --- |
            | events written: endpoint moves / Pod status heartbeats | {r.EndpointMoves} / {r.Heartbeats} |
            | written / applied (first write → last apply) | {r.EventsPerSecondWritten} / {r.EventsPerSecondApplied} events/s |
            | last write → last apply | {r.LagAfterLastWriteMs} ms |
            | watch events seen: EndpointSlice / Pod | {r.SliceEventsSeen} / {r.PodEventsSeen} |
            | effective changes: EndpointSlice / Pod (heartbeats must be 0) | {r.SliceChanges} / {r.PodChanges} |
            | applies (debounced batches) / grain writes | {r.Applies} / {r.GrainWrites} |
            | CPU during churn: ingest / silo / gateway | {r.ChurnIngestCpuSeconds} s / {r.ChurnSiloCpuSeconds} s / {r.ChurnGatewayCpuSeconds} s |
            | ingest CPU per event | {r.IngestCpuMicrosPerEvent} µs |
            | API write → probe proxy holds the moved endpoint (ns-0 moves, ms) | {Report.Ms(r.WriteToProbe)} |
            | moves the probe never received | {r.ProbeMissing} |

            """);
        Report.Problems(sb, r.Problems);
        Report.Save(dir, "ingest", r, sb, "ingest: API write → probe holds the moved endpoint", "written (s since churn began)", "write → probe (ms)");
    }
}
