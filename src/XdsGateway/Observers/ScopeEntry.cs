using System.Collections.Frozen;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>A gateway's copy of one scope's snapshot, shared by the local streams of every workload it serves.</summary>
internal sealed class ScopeEntry(string key, ScopeIdentity identity)
{
    private volatile ScopeIndex? _index;

    public string Key { get; } = key;

    public ScopeIdentity Identity { get; } = identity;

    /// <summary>The current snapshot; setting it re-indexes it once for every stream of the scope (and starts a new resolution generation).</summary>
    public ScopeSnapshot? Snapshot
    {
        get => _index?.Snapshot;
        set
        {
            _index = value is null ? null : new ScopeIndex(value);
            Resolutions.Invalidate();
        }
    }

    /// <summary>Sets resolved by the scope's streams, shared with peers subscribing the same.</summary>
    public ResolutionCache Resolutions { get; } = new();

    /// <summary>The current snapshot with its name sets, swapped atomically with it.</summary>
    public ScopeIndex? Index => _index;

    public readonly HashSet<GrainProxyWatch> Watches = [];

    /// <summary>Completes once the first snapshot is in (loading retries until then, or until the entry is released).</summary>
    public Task? Loading;

    /// <summary>No local stream needs it any more: loading stops retrying.</summary>
    public volatile bool Released;
}

/// <summary>
/// A scope snapshot's names as sets: the clusters and service-owned listeners of its wildcard
/// sets, and the hosts the scope sees, which bound what a stream of the scope may be served by
/// name (a proxy is served only what its scope lets it see, as Istio's generators do).
/// </summary>
internal sealed class ScopeIndex
{
    public ScopeIndex(ScopeSnapshot snapshot)
    {
        Snapshot = snapshot;
        Clusters = snapshot.ClusterNames.ToFrozenSet(StringComparer.Ordinal);
        ServiceListeners = (snapshot.ServiceListeners.IsDefault ? [] : snapshot.ServiceListeners).ToFrozenSet(StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in snapshot.ClusterNames)
        {
            if (ResourceNames.TryParseOutbound(c, out _, out _, out var host))
            {
                hosts.Add(host);
            }
        }
        Hosts = hosts.ToFrozenSet(StringComparer.Ordinal);
        HostSet = Protocol.NameSets.Of(hosts);
    }

    public ScopeSnapshot Snapshot { get; }

    public FrozenSet<string> Clusters { get; }

    public FrozenSet<string> ServiceListeners { get; }

    /// <summary>Hosts of the outbound clusters the scope sees.</summary>
    public FrozenSet<string> Hosts { get; }

    /// <summary>The same hosts as the shared name set streams hold (<see cref="GrainProxyWatch.ComputeHosts"/>).</summary>
    public System.Collections.Immutable.ImmutableHashSet<string> HostSet { get; }
}
