using System.Diagnostics.Metrics;

namespace Mesh.Grains;

/// <summary>Meter <c>Mesh.Grains</c>: builds, notifications and rejected writes, for operators.</summary>
internal static class GrainMetrics
{
    public static readonly Meter Meter = new("Mesh.Grains");
    public static readonly Counter<long> ServiceBuilds = Meter.CreateCounter<long>("mesh_service_builds", description: "Service rebuilds by kind (full, eds).");
    public static readonly Counter<long> ScopeBuilds = Meter.CreateCounter<long>("mesh_scope_builds", description: "Scope rebuilds, by proxy kind.");
    public static readonly Counter<long> WorkloadBuilds = Meter.CreateCounter<long>("mesh_workload_builds", description: "Workload rebuilds (which scope serves it, its inbound listener and clusters).");
    public static readonly Counter<long> GrainCalls = Meter.CreateCounter<long>("mesh_grain_calls", description: "Calls into Mesh grains on this silo, by grain interface.");
    public static readonly Counter<long> ProxyNacks = Meter.CreateCounter<long>("mesh_proxy_nacks", description: "NACKs recorded by proxy grains, by type.");
    public static readonly Counter<long> UnchangedUpdates = Meter.CreateCounter<long>("mesh_grain_unchanged_updates",
        description: "Updates whose content equals what the grain holds (a reconciler re-sending everything): not stored, nothing rebuilt or pushed, by grain.");
    public static readonly Counter<long> StaleWrites = Meter.CreateCounter<long>("mesh_grain_stale_writes", description: "Writes rejected because their writer epoch was older than the writer fence's (a deposed leader's), by grain.");
    public static readonly UpDownCounter<long> Activations = Meter.CreateUpDownCounter<long>("mesh_grain_activations", description: "Mesh grains active on this silo, by grain kind.");
}
