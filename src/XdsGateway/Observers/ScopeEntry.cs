using Mesh.Grains.Dtos;

namespace Mesh.XdsGateway.Observers;

/// <summary>A gateway's copy of one scope's snapshot, shared by the local streams of that workload.</summary>
internal sealed class ScopeEntry(string key, ScopeIdentity identity)
{
    public string Key { get; } = key;

    public ScopeIdentity Identity { get; } = identity;

    public volatile ScopeSnapshot? Snapshot;

    public readonly HashSet<GrainProxyWatch> Watches = [];

    public Task? Loading;
}
