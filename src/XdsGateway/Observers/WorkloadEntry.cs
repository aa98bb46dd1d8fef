using Mesh.Grains.Dtos;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// A gateway's copy of one workload's snapshot (which scope serves it, its own resources), shared
/// by the local streams of that workload.
/// </summary>
internal sealed class WorkloadEntry(string key, WorkloadIdentity identity)
{
    public string Key { get; } = key;

    public WorkloadIdentity Identity { get; } = identity;

    public volatile WorkloadSnapshot? Snapshot;

    public readonly HashSet<GrainProxyWatch> Watches = [];

    /// <summary>Completes once the first snapshot is in (loading retries until then, or until the entry is released).</summary>
    public Task? Loading;

    /// <summary>No local stream needs it any more: loading stops retrying.</summary>
    public volatile bool Released;
}
