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

    private static List<string>?[]? Names(ScopeSnapshot before, ScopeSnapshot after) => new ScopeIndex(after).ChangedNames(new ScopeIndex(before));

    private static List<string> Of(List<string>?[] names, string typeUrl) => names[TypeUrls.IndexOf(typeUrl)] ?? [];

    [Fact]
    public void LearnedHost_NamesItsClustersForCdsAndEds_AndTheChangedRoute()
    {
        // A fence learned b: its cluster enters the scope's list and route 80 gets b's virtual host.
        var names = Names(Snapshot(clusters: [A]), Snapshot(clusters: [A, B], routeVersion: "r2"))!;

        Assert.Equal([B], Of(names, TypeUrls.Cluster));
        Assert.Equal([B], Of(names, TypeUrls.Endpoint));
        Assert.Equal(["80"], Of(names, TypeUrls.Route));
        Assert.Empty(Of(names, TypeUrls.Listener));
    }

    [Fact]
    public void DroppedHostAndChangedOwnCluster_AreNamed()
    {
        var before = Snapshot(clusters: [A, ASubset, B]);
        var after = Snapshot(clusters: [A]) with { OwnClusters = [R(TypeUrls.Cluster, "BlackHoleCluster", "c2"), R(TypeUrls.Cluster, "PassthroughCluster", "p1")] };

        var names = Names(before, after)!;

        Assert.Equal(["BlackHoleCluster", "PassthroughCluster", ASubset, B], Of(names, TypeUrls.Cluster));
        Assert.Equal([ASubset, B], Of(names, TypeUrls.Endpoint));
    }

    [Fact]
    public void ServiceListenerAndListenerChanges_NameLdsAndRds()
    {
        const string grpc = "a.ns.svc.cluster.local:80";
        var names = Names(Snapshot(), Snapshot(listenerVersion: "l2", serviceListeners: [grpc]))!;

        Assert.Equal(["0.0.0.0_80", grpc], Of(names, TypeUrls.Listener));
        Assert.Equal([grpc], Of(names, TypeUrls.Route));
        Assert.Empty(Of(names, TypeUrls.Cluster));
    }

    [Fact]
    public void ReadinessChanging_NamesNothing_EveryTypeIsResolvedWhole()
    {
        Assert.Null(Names(Snapshot(ready: false), Snapshot()));
        Assert.Null(Names(Snapshot(), Snapshot(ready: false)));
        Assert.Null(new ScopeIndex(Snapshot()).ChangedNames(null));
    }

    [Fact]
    public void AScopesCacheInvalidation_KeepsTheOtherTypesEntries()
    {
        var cache = new ResolutionCache();
        var names = System.Collections.Immutable.ImmutableHashSet<string>.Empty;
        var cds = new ResolutionCache.Key(TypeUrls.Cluster, true, names, default, RolloutCohort.None);
        var rds = new ResolutionCache.Key(TypeUrls.Route, false, names, default, RolloutCohort.None);
        var set = new Mesh.XdsGateway.Protocol.ResolvedResources(true, System.Collections.Immutable.ImmutableSortedDictionary<string, XdsResource>.Empty);
        cache.Store(cds, cache.Generation(TypeUrls.Cluster), set);
        cache.Store(rds, cache.Generation(TypeUrls.Route), set);

        cache.Invalidate(Bits(TypeUrls.Route));

        Assert.True(cache.TryGet(cds, out var kept) && ReferenceEquals(kept, set));
        Assert.False(cache.TryGet(rds, out _));
    }
}
