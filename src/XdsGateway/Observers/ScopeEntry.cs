using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>A gateway's copy of one scope's snapshot, shared by the local streams of every workload it serves.</summary>
internal sealed class ScopeEntry(string key, ScopeIdentity identity)
{
    private volatile ScopeIndex? _index;

    public string Key { get; } = key;

    public ScopeIdentity Identity { get; } = identity;

    /// <summary>The fence grain's key when the scope is fenced (derived once, not per stream).</summary>
    public string? FenceKey { get; } = identity.FenceKey;

    /// <summary>The current snapshot.</summary>
    public ScopeSnapshot? Snapshot => _index?.Snapshot;

    /// <summary>
    /// Takes a new snapshot, re-indexing it once for every stream of the scope; returns the types
    /// (<see cref="ResolutionCache.Bit"/> mask) whose resolution it changes, whose shared
    /// resolutions start a new generation. A route change (a VirtualService) changes RDS only.
    /// </summary>
    public int Update(ScopeSnapshot snapshot)
    {
        var old = _index;
        if (old is not null && old.Snapshot.Sequence > snapshot.Sequence)
        {
            return 0; // an older build that arrived after a newer one
        }
        var fresh = new ScopeIndex(snapshot);
        _index = fresh;
        var changed = fresh.ChangedTypes(old);
        Resolutions.Invalidate(changed);
        return changed;
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
        // Plain sets: a scope is re-indexed on every build (a learned host), and freezing a set costs
        // more than the lookups it would save over one snapshot's life.
        Clusters = new HashSet<string>(snapshot.ClusterNames, StringComparer.Ordinal);
        ServiceListeners = new HashSet<string>(snapshot.ServiceListeners.IsDefault ? [] : snapshot.ServiceListeners, StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in snapshot.ClusterNames)
        {
            if (ResourceNames.TryParseOutbound(c, out _, out _, out var host))
            {
                hosts.Add(host);
            }
        }
        Hosts = hosts;
        HostSet = Protocol.NameSets.Of(hosts);
    }

    public ScopeSnapshot Snapshot { get; }

    /// <summary>
    /// The types whose resolution differs between <paramref name="old"/> and this snapshot: what
    /// the scope sees (hosts bound every type's names), its cluster names (CDS wildcard; EDS of new
    /// subsets), listeners and service listeners (LDS), route configurations (RDS).
    /// </summary>
    public int ChangedTypes(ScopeIndex? old)
    {
        if (old is null || old.Snapshot.Ready != Snapshot.Ready)
        {
            return ResolutionCache.AllTypes;
        }
        if (!Hosts.SetEquals(old.Hosts))
        {
            return ResolutionCache.AllTypes;
        }
        var changed = 0;
        if (!Snapshot.ClusterNames.SequenceEqual(old.Snapshot.ClusterNames, StringComparer.Ordinal) || !SameVersions(Snapshot.OwnClusters, old.Snapshot.OwnClusters))
        {
            changed |= ResolutionCache.Bit(TypeUrls.Cluster) | ResolutionCache.Bit(TypeUrls.Endpoint);
        }
        if (!SameVersions(Snapshot.Listeners, old.Snapshot.Listeners) || !ServiceListeners.SetEquals(old.ServiceListeners))
        {
            changed |= ResolutionCache.Bit(TypeUrls.Listener);
        }
        if (!SameVersions(Snapshot.Routes, old.Snapshot.Routes))
        {
            changed |= ResolutionCache.Bit(TypeUrls.Route);
        }
        return changed;
    }

    /// <summary>The same resources by name and version, in the same order.</summary>
    internal static bool SameVersions(ImmutableArray<XdsResource> a, ImmutableArray<XdsResource> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i].Name != b[i].Name || a[i].Version != b[i].Version)
            {
                return false;
            }
        }
        return true;
    }

    public IReadOnlySet<string> Clusters { get; }

    public IReadOnlySet<string> ServiceListeners { get; }

    /// <summary>Hosts of the outbound clusters the scope sees.</summary>
    public IReadOnlySet<string> Hosts { get; }

    /// <summary>The same hosts as the shared name set streams hold (<see cref="GrainProxyWatch.ComputeHosts"/>).</summary>
    public System.Collections.Immutable.ImmutableHashSet<string> HostSet { get; }
}
