using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Observers;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>
/// Which types a scope's new snapshot changes for its streams: only those are re-resolved and
/// woken, so a VirtualService change (a new route configuration) costs each stream one RDS
/// resolution, not four (CDS, EDS and LDS of 120 services stay shared and untouched).
/// </summary>
[Trait("Category", "BVT")]
public class ScopeChangeTypesTests
{
    private static readonly string A = ResourceNames.OutboundCluster(80, null, "a.ns.svc.cluster.local");
    private static readonly string B = ResourceNames.OutboundCluster(80, null, "b.ns.svc.cluster.local");
    private static readonly string ASubset = ResourceNames.OutboundCluster(80, "v1", "a.ns.svc.cluster.local");

    private static XdsResource R(string type, string name, string version) => new(type, name, version, new byte[] { 1 });

    private static ScopeSnapshot Snapshot(string routeVersion = "r1", string listenerVersion = "l1", bool ready = true, string[]? clusters = null, string[]? serviceListeners = null) =>
        new("sidecar/ns/(none)", "v", ready,
            [R(TypeUrls.Listener, "0.0.0.0_80", listenerVersion)],
            [R(TypeUrls.Route, "80", routeVersion)],
            [R(TypeUrls.Cluster, "BlackHoleCluster", "c1")],
            [.. clusters ?? [A, B]], [], [.. serviceListeners ?? []]);

    private static int Changed(ScopeSnapshot before, ScopeSnapshot after) => new ScopeIndex(after).ChangedTypes(new ScopeIndex(before));

    private static int Bits(params string[] types) => types.Aggregate(0, (m, t) => m | ResolutionCache.Bit(t));

    [Fact]
    public void RouteOnlyChange_ChangesRdsOnly()
    {
        Assert.Equal(Bits(TypeUrls.Route), Changed(Snapshot(), Snapshot(routeVersion: "r2")));
    }

    [Fact]
    public void ListenerChange_ChangesLdsOnly()
    {
        Assert.Equal(Bits(TypeUrls.Listener), Changed(Snapshot(), Snapshot(listenerVersion: "l2")));
        Assert.Equal(Bits(TypeUrls.Listener), Changed(Snapshot(), Snapshot(serviceListeners: ["a.ns.svc.cluster.local:80"])));
    }

    [Fact]
    public void NewSubsetClusterOfASeenHost_ChangesCdsAndEds()
    {
        Assert.Equal(Bits(TypeUrls.Cluster, TypeUrls.Endpoint), Changed(Snapshot(), Snapshot(clusters: [A, ASubset, B])));
    }

    [Fact]
    public void HostsSeenOrReadinessChanging_ChangesEveryType()
    {
        Assert.Equal(ResolutionCache.AllTypes, Changed(Snapshot(), Snapshot(clusters: [A])));
        Assert.Equal(ResolutionCache.AllTypes, Changed(Snapshot(ready: false), Snapshot()));
        Assert.Equal(ResolutionCache.AllTypes, new ScopeIndex(Snapshot()).ChangedTypes(null));
    }

    [Fact]
    public void SameResources_ChangeNothing()
    {
        Assert.Equal(0, Changed(Snapshot(), Snapshot() with { Version = "other", Diagnostics = ["a note"] }));
    }

    [Fact]
    public void AScopesCacheInvalidation_KeepsTheOtherTypesEntries()
    {
        var cache = new ResolutionCache();
        var names = System.Collections.Immutable.ImmutableHashSet<string>.Empty;
        var cds = new ResolutionCache.Key(TypeUrls.Cluster, true, names, null);
        var rds = new ResolutionCache.Key(TypeUrls.Route, false, names, null);
        var set = new Mesh.XdsGateway.Protocol.ResolvedResources(true, System.Collections.Immutable.ImmutableSortedDictionary<string, XdsResource>.Empty);
        cache.Store(cds, cache.Generation(TypeUrls.Cluster), set);
        cache.Store(rds, cache.Generation(TypeUrls.Route), set);

        cache.Invalidate(Bits(TypeUrls.Route));

        Assert.True(cache.TryGet(cds, out var kept) && ReferenceEquals(kept, set));
        Assert.False(cache.TryGet(rds, out _));
    }
}
