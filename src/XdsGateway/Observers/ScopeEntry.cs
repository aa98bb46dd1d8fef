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
    /// resolutions start a new generation (a route change, a VirtualService, changes RDS only), and
    /// when both snapshots are ready, the names whose resolution may differ.
    /// </summary>
    public ScopeChange Update(ScopeSnapshot snapshot)
    {
        var old = _index;
        if (old is not null && old.Snapshot.Sequence > snapshot.Sequence)
        {
            return ScopeChange.None; // an older build that arrived after a newer one
        }
        var fresh = new ScopeIndex(snapshot);
        _index = fresh;
        var changed = fresh.ChangedTypes(old);
        Resolutions.Invalidate(changed);
        return changed == 0 ? ScopeChange.None : new ScopeChange(changed, fresh.ChangedNames(old));
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
/// What a new scope snapshot changed: the types (<see cref="ResolutionCache.Bit"/> mask) and, when
/// known, per <see cref="TypeUrls.PushOrder"/> slot the names whose resolution may differ (null:
/// resolve those types whole).
/// </summary>
internal sealed record ScopeChange(int Types, List<string>?[]? Names)
{
    public static readonly ScopeChange None = new(0, null);
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
        foreach (var c in snapshot.VariantClusterNames.Values.SelectMany(n => n))
        {
            if (ResourceNames.TryParseOutbound(c, out _, out _, out var host))
            {
                hosts.Add(host); // a candidate's new destination: its cohort needs that service too
            }
        }
        Hosts = hosts;
        HostSet = Protocol.NameSets.Of(hosts);
        foreach (var v in snapshot.Variants.IsDefault ? [] : snapshot.Variants)
        {
            (_variants ??= [])[(v.TypeUrl, v.Name, v.Rollout!)] = v;
        }
    }

    private readonly Dictionary<(string TypeUrl, string Name, string Rollout), XdsResource>? _variants;

    public ScopeSnapshot Snapshot { get; }

    /// <summary>Whether a staged rollout's candidate changes anything of this scope.</summary>
    public bool HasVariants => _variants is not null || !Snapshot.VariantClusterNames.IsEmpty;

    /// <summary>The listener or route <paramref name="name"/> as a stream in <paramref name="cohort"/> sees it: the variant of the largest set of its rollouts that has one, else the baseline (null: none).</summary>
    public XdsResource? Find(string typeUrl, string name, RolloutCohort cohort)
    {
        if (_variants is not null)
        {
            foreach (var tag in cohort.Tags)
            {
                if (_variants.TryGetValue((typeUrl, name, tag), out var variant))
                {
                    return variant.IsAbsent ? null : variant;
                }
            }
        }
        var own = typeUrl == TypeUrls.Route ? Snapshot.Routes : Snapshot.Listeners;
        foreach (var r in own)
        {
            if (r.Name == name)
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>The scope's own listeners as a stream in <paramref name="cohort"/> sees them (its wildcard LDS part).</summary>
    public IEnumerable<XdsResource> ListenersFor(RolloutCohort cohort)
    {
        if (_variants is null || cohort.IsNone)
        {
            return Snapshot.Listeners;
        }
        var names = Snapshot.Listeners.Select(l => l.Name)
            .Concat(_variants.Keys.Where(k => k.TypeUrl == TypeUrls.Listener && cohort.Admits(k.Rollout)).Select(k => k.Name))
            .Distinct(StringComparer.Ordinal);
        return names.Select(n => Find(TypeUrls.Listener, n, cohort)).OfType<XdsResource>();
    }

    /// <summary>The clusters the scope lists for a stream in <paramref name="cohort"/> (its wildcard CDS).</summary>
    public ImmutableArray<string> ClusterNamesFor(RolloutCohort cohort)
    {
        foreach (var tag in cohort.Tags)
        {
            if (Snapshot.VariantClusterNames.TryGetValue(tag, out var names))
            {
                return names;
            }
        }
        return Snapshot.ClusterNames;
    }

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
        foreach (var v in VariantChanges(old))
        {
            changed |= ResolutionCache.Bit(v.TypeUrl);
        }
        if (!SameClusterVariants(old))
        {
            changed |= ResolutionCache.Bit(TypeUrls.Cluster) | ResolutionCache.Bit(TypeUrls.Endpoint);
        }
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

    /// <summary>
    /// Per <see cref="TypeUrls.PushOrder"/> slot, the names whose resolution differs between
    /// <paramref name="old"/> and this snapshot; null unless both are ready. A cluster the scope
    /// lists or drops changes CDS and EDS of that name (its host enters or leaves what the scope
    /// sees); a listener, route or own cluster by version; a service listener (a proxyless
    /// <c>FQDN:PORT</c>) LDS and RDS of its name.
    /// </summary>
    public List<string>?[]? ChangedNames(ScopeIndex? old)
    {
        if (old is null || !old.Snapshot.Ready || !Snapshot.Ready)
        {
            return null;
        }
        var names = new HashSet<string>?[TypeUrls.PushOrder.Count];
        void Add(string typeUrl, string name) => (names[TypeUrls.IndexOf(typeUrl)] ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
        foreach (var c in Protocol.NameSets.SymmetricDifference(Clusters, old.Clusters))
        {
            Add(TypeUrls.Cluster, c);
            Add(TypeUrls.Endpoint, c);
        }
        foreach (var name in ChangedVersions(Snapshot.OwnClusters, old.Snapshot.OwnClusters))
        {
            Add(TypeUrls.Cluster, name);
        }
        foreach (var name in ChangedVersions(Snapshot.Listeners, old.Snapshot.Listeners))
        {
            Add(TypeUrls.Listener, name);
        }
        foreach (var name in ChangedVersions(Snapshot.Routes, old.Snapshot.Routes))
        {
            Add(TypeUrls.Route, name);
        }
        foreach (var l in Protocol.NameSets.SymmetricDifference(ServiceListeners, old.ServiceListeners))
        {
            Add(TypeUrls.Listener, l);
            Add(TypeUrls.Route, l);
        }
        foreach (var v in VariantChanges(old))
        {
            Add(v.TypeUrl, v.Name);
        }
        if (!SameClusterVariants(old))
        {
            foreach (var c in Snapshot.VariantClusterNames.Values.Concat(old.Snapshot.VariantClusterNames.Values).SelectMany(n => n)
                .Concat(Snapshot.ClusterNames).Concat(old.Snapshot.ClusterNames).Distinct(StringComparer.Ordinal))
            {
                Add(TypeUrls.Cluster, c);
                Add(TypeUrls.Endpoint, c);
            }
        }
        return [.. names.Select(set => set is null ? null : set.Order(StringComparer.Ordinal).ToList())];
    }

    /// <summary>The variants (type and base name) added, dropped or changed since <paramref name="old"/>.</summary>
    private IEnumerable<(string TypeUrl, string Name)> VariantChanges(ScopeIndex old)
    {
        if (_variants is null && old._variants is null)
        {
            return [];
        }
        var now = _variants ?? [];
        var before = old._variants ?? [];
        return now.Where(kv => !before.TryGetValue(kv.Key, out var b) || b.Version != kv.Value.Version).Select(kv => kv.Key)
            .Concat(before.Keys.Where(k => !now.ContainsKey(k)))
            .Select(k => (k.TypeUrl, k.Name)).Distinct();
    }

    private bool SameClusterVariants(ScopeIndex old) =>
        Snapshot.VariantClusterNames.Count == old.Snapshot.VariantClusterNames.Count
        && Snapshot.VariantClusterNames.All(kv => old.Snapshot.VariantClusterNames.TryGetValue(kv.Key, out var o) && o.SequenceEqual(kv.Value, StringComparer.Ordinal));

    /// <summary>Names present in one of the two sets and not the other, or at another version.</summary>
    private static List<string> ChangedVersions(ImmutableArray<XdsResource> now, ImmutableArray<XdsResource> before)
    {
        var was = before.IsDefault ? [] : before.ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var r in now.IsDefault ? [] : now)
        {
            if (!was.Remove(r.Name, out var version) || version != r.Version)
            {
                names.Add(r.Name);
            }
        }
        names.AddRange(was.Keys);
        return names;
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
