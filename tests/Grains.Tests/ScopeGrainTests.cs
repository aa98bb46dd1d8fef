using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

/// <summary>Shared scopes built from the silo's catalog: what they see, and what rebuilds them.</summary>
public sealed class ScopeGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly ImmutableSortedDictionary<string, string> NoLabels = ImmutableSortedDictionary<string, string>.Empty;

    internal static MeshService Service(string name, string ns, params string[] exportTo) => new($"{name}.{ns}.svc.cluster.local", ns,
        [new MeshServicePort("http", 80, Protocol.Http, null)], [], ServiceOrigin.Kubernetes, Resolution.Static, [.. exportTo],
        ImmutableSortedDictionary<string, string>.Empty.Add("app", name));

    internal static string Outbound(MeshService s) => ResourceNames.OutboundCluster(80, null, s.Hostname);

    internal static string NewNamespace() => $"n{Guid.NewGuid():N}"[..12];

    private Task<ScopeSnapshot> SubscribeAsync(ScopeIdentity id, RecordingObserver observer) =>
        fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(id)).SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer), id);

    /// <summary>
    /// Subscribes, waits until the scope shows <paramref name="settled"/> and drops what the observer
    /// got meanwhile: the silo's catalog follows the namespace grains asynchronously, so a scope built
    /// at once may be rebuilt when the definitions just written reach it.
    /// </summary>
    private async Task<ScopeSnapshot> SubscribeSettledAsync(ScopeIdentity id, RecordingObserver observer, Func<ScopeSnapshot, bool> settled)
    {
        await SubscribeAsync(id, observer);
        var snapshot = await SettledAsync(id, settled);
        await observer.DrainAsync(TimeSpan.FromMilliseconds(300));
        return snapshot;
    }

    private async Task<ScopeSnapshot> SettledAsync(ScopeIdentity id, Func<ScopeSnapshot, bool> settled)
    {
        var grain = fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(id));
        for (var attempt = 0; ; attempt++)
        {
            var snapshot = await grain.GetSnapshotAsync();
            if (settled(snapshot))
            {
                return snapshot;
            }
            if (attempt == 100)
            {
                throw new TimeoutException($"scope {ScopeKey.From(id)} did not settle within 10 s: {string.Join(", ", snapshot.ClusterNames)}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>A VirtualService of <paramref name="svc"/> sending requests with header x-canary to it (its route changes with it).</summary>
    private static ServiceRouting CanaryRoute(MeshService svc, string value) => new(null,
        [new VirtualService(ObjectMeta.Of(svc.Hostname.Split('.')[0], svc.Namespace), [svc.Hostname], [],
            [new HttpRoute(null, [new HttpMatchRequest(null, null, ImmutableSortedDictionary<string, StringMatch>.Empty.Add("x-canary", new StringMatch(StringMatchKind.Exact, value)), null, [])],
                [new RouteDestination(new Destination(svc.Hostname, null, null), null)], null, null),
             new HttpRoute(null, [], [new RouteDestination(new Destination(svc.Hostname, null, null), null)], null, null)],
            [], [])]);

    [Fact]
    public async Task TwoRolloutsChangingOneRoute_GetAVariantEachAndOneOfBothTogether()
    {
        var ns = NewNamespace();
        var x = Service("x", ns);
        var y = Service("y", ns);
        await fixture.DefineAsync(new NamespaceConfig(ns, [x, y], [], [], []));
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        var baseline = await SubscribeSettledAsync(id, new RecordingObserver(), s => s.ClusterNames.Contains(Outbound(y)));
        var (a, b) = ($"{ns}/a#1", $"{ns}/b#1");

        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(x.Hostname)).SetCandidateAsync(a, CanaryRoute(x, "a"));
        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(y.Hostname)).SetCandidateAsync(b, CanaryRoute(y, "b"));
        var snapshot = await SettledAsync(id, s => s.Variants.Select(v => v.Rollout).Distinct().Count() == 3);

        var route80 = snapshot.Variants.Where(v => v.TypeUrl == TypeUrls.Route && v.Name == "80").ToDictionary(v => v.Rollout!);
        Assert.Equal([a, $"{a}+{b}", b], route80.Keys.Order(StringComparer.Ordinal));
        var versions = route80.Values.Select(v => v.Version).Append(baseline.Routes.Single(r => r.Name == "80").Version).ToList();
        Assert.Equal(4, versions.Distinct().Count()); // baseline, each candidate alone, both together
        Assert.Equal(baseline.Routes.Single(r => r.Name == "80").Version, snapshot.Routes.Single(r => r.Name == "80").Version);
    }

    [Fact]
    public async Task SidecarEgressAndExportTo_DecideWhichClustersAScopeSees()
    {
        var ns = NewNamespace();
        var other = ns + "x";
        var a = Service("a", ns);
        var b = Service("b", ns);
        var hidden = Service("hidden", other, ".");
        var shared = Service("shared", other);
        var sidecar = new Sidecar(ObjectMeta.Of("client", ns), new WorkloadSelector(NoLabels.Add("app", "client")),
            [new SidecarEgress(null, ["./a." + ns + ".svc.cluster.local", other + "/*"])]);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a, b], [sidecar], [], []), new NamespaceConfig(other, [hidden, shared], [], [], []));

        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, "client");
        await SubscribeAsync(id, new RecordingObserver());
        var snapshot = await SettledAsync(id, s => s.ClusterNames.Contains(Outbound(shared)));

        Assert.True(snapshot.Ready);
        // a by egress; shared by "other/*"; not b (not in egress), not hidden (exportTo ".").
        Assert.Equal([Outbound(a), Outbound(shared)], snapshot.ClusterNames.Where(c => c.StartsWith("outbound|", StringComparison.Ordinal)));
        Assert.Contains(snapshot.Listeners, l => l.Name == "0.0.0.0_80");
        Assert.Contains(snapshot.Routes, r => r.Name == "80");
        // The inbound side is the workload's, not the shared scope's.
        Assert.DoesNotContain(snapshot.Listeners, l => l.Name == ResourceNames.VirtualInbound);
    }

    [Fact]
    public async Task SidecarOutboundTrafficPolicy_RegistryOnly_SendsUnknownDestinationsToTheBlackHole_AllowAnyPassesThem()
    {
        var ns = NewNamespace();
        var a = Service("a", ns);
        var strict = new Sidecar(ObjectMeta.Of("strict", ns), new WorkloadSelector(NoLabels.Add("app", "strict")), [new SidecarEgress(null, ["./*"])]) { AllowAnyOutbound = false };
        var open = new Sidecar(ObjectMeta.Of("open", ns), new WorkloadSelector(NoLabels.Add("app", "open")), [new SidecarEgress(null, ["./*"])]);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [strict, open], [], []));

        foreach (var (name, catchAll) in new[] { ("strict", ResourceNames.BlackHoleCluster), ("open", ResourceNames.PassthroughCluster) })
        {
            var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, name);
            await SubscribeAsync(id, new RecordingObserver());
            var snapshot = await SettledAsync(id, s => s.ClusterNames.Contains(Outbound(a)));
            var outbound = Envoy.Config.Listener.V3.Listener.Parser.ParseFrom(snapshot.Listeners.Single(l => l.Name == ResourceNames.VirtualOutbound).Body.Span);
            var proxy = outbound.FilterChains.Single().Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>();
            Assert.Equal(catchAll, proxy.Cluster); // the mesh default is ALLOW_ANY; the strict Sidecar overrides it
        }
    }

    [Fact]
    public async Task ProxylessScope_ListsTheClustersAndApiListenersOfWhatItSees_AndBuildsNoEnvoyListeners()
    {
        var ns = NewNamespace();
        var other = ns + "x";
        var a = Service("a", ns);
        var hidden = Service("hidden", other, ".");
        var shared = Service("shared", other);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [], [], []), new NamespaceConfig(other, [hidden, shared], [], [], []));

        var id = ScopeIdentity.Shared(ProxyKind.Proxyless, ns, null);
        await SubscribeAsync(id, new RecordingObserver());
        var snapshot = await SettledAsync(id, s => s.ClusterNames.Contains(Outbound(a)) && s.ClusterNames.Contains(Outbound(shared)));

        Assert.True(snapshot.Ready);
        Assert.Equal<string>([Outbound(a), Outbound(shared)], snapshot.ClusterNames.Where(c => c.Contains(ns, StringComparison.Ordinal)));
        Assert.Equal<string>([ResourceNames.HostPort(a.Hostname, 80), ResourceNames.HostPort(shared.Hostname, 80)],
            snapshot.ServiceListeners.Where(c => c.Contains(ns, StringComparison.Ordinal)));
        Assert.Empty(snapshot.Listeners);
        Assert.Empty(snapshot.Routes);
        Assert.Empty(snapshot.OwnClusters);
    }

    [Fact]
    public async Task NewServiceInNamespace_RebuildsTheScopeAndNotifiesGateways()
    {
        var ns = NewNamespace();
        var a = Service("a", ns);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [], [], []));
        var observer = new RecordingObserver();
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        var first = await SubscribeSettledAsync(id, observer, s => s.ClusterNames.Contains(Outbound(a)));

        var b = Service("b", ns);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a, b], [], [], []));

        // The service's view and the namespace's config arrive separately: b's cluster appears in a push.
        var next = await observer.NextAsync<ScopeSnapshot>("the rebuilt scope");
        while (!next.ClusterNames.Contains(Outbound(b)))
        {
            next = await observer.NextAsync<ScopeSnapshot>("the rebuilt scope with b");
        }
        Assert.NotEqual(first.Version, next.Version);
    }

    [Fact]
    public async Task ChangesAScopeCannotSee_DoNotRebuildIt()
    {
        var ns = NewNamespace();
        var other = ns + "x";
        var a = Service("a", ns);
        var sidecar = new Sidecar(ObjectMeta.Of("default", ns), null, [new SidecarEgress(null, ["./*"])]);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [sidecar], [], []), new NamespaceConfig(other, [Service("x1", other)], [], [], []));
        var observer = new RecordingObserver();
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, "default");
        await SubscribeSettledAsync(id, observer, s => s.ClusterNames.Contains(Outbound(a)));

        // A new namespace with services, a new service and a Sidecar elsewhere: none of it is visible to ns.
        var third = ns + "y";
        await fixture.DefineAsync(
            new NamespaceConfig(third, [Service("y1", third), Service("y2", third)], [new Sidecar(ObjectMeta.Of("default", third), null, [new SidecarEgress(null, ["./*"])])], [], []),
            new NamespaceConfig(other, [Service("x1", other), Service("x2", other)], [], [], []));
        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From($"x1.{other}.svc.cluster.local")).UpdateAsync(new ServiceUpdate
        {
            Definition = Service("x1", other) with { Ports = [new MeshServicePort("http", 8080, Protocol.Http, null)] },
        });

        Assert.True(await observer.QuietAsync(TimeSpan.FromMilliseconds(800)), "a change the scope cannot see must not rebuild it");
    }

    [Fact]
    public async Task ServiceEndpointChange_DoesNotRebuildScopes()
    {
        var ns = NewNamespace();
        var a = Service("a", ns);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [], [], []));
        var observer = new RecordingObserver();
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        await SubscribeSettledAsync(id, observer, s => s.ClusterNames.Contains(Outbound(a)));

        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(a.Hostname)).UpdateAsync(new ServiceUpdate
        {
            Endpoints = [new ServiceEndpoint("10.0.0.9", ImmutableSortedDictionary<int, int>.Empty.Add(80, 80), NoLabels, Locality.None, 1, EndpointHealth.Healthy, null, null)],
        });

        Assert.True(await observer.QuietAsync(TimeSpan.FromMilliseconds(500)), "an endpoint change must not reach scopes");
    }

    [Fact]
    public async Task RoutingChangeOfASeenService_RebuildsTheScopesRoute()
    {
        var ns = NewNamespace();
        var a = Service("a", ns);
        await fixture.DefineAsync(new NamespaceConfig(ns, [a], [], [], []));
        var observer = new RecordingObserver();
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        var first = await SubscribeSettledAsync(id, observer, s => s.Routes.Length == 1);

        var vs = new VirtualService(ObjectMeta.Of("a", ns), [a.Hostname], [], [new HttpRoute(
            null, [], [new RouteDestination(new Destination(a.Hostname, null, null), null)], TimeSpan.FromSeconds(3), null)], [], []);
        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(a.Hostname)).UpdateAsync(new ServiceUpdate { Routing = new ServiceRouting(null, [vs]) });

        var next = await observer.NextAsync<ScopeSnapshot>("the scope rebuilt with a's new route");
        Assert.NotEqual(first.Routes.Single().Version, next.Routes.Single().Version);
    }

    /// <summary>
    /// Issue 15: a VirtualService tcp route of a seen TCP service changes the sidecars' listener for
    /// its port (weighted tcp_proxy), through the service's view: the scope is rebuilt, the HTTP
    /// route untouched.
    /// </summary>
    [Fact]
    public async Task TcpRouteChangeOfASeenService_RebuildsItsTcpListener()
    {
        var ns = NewNamespace();
        var db = new MeshService($"db.{ns}.svc.cluster.local", ns, [new MeshServicePort("tcp", 5432, Protocol.Tcp, null)], ["10.96.7.7"],
            ServiceOrigin.Kubernetes, Resolution.Static, ["*"], ImmutableSortedDictionary<string, string>.Empty.Add("app", "db"));
        await fixture.DefineAsync(new NamespaceConfig(ns, [db], [], [], []));
        var observer = new RecordingObserver();
        var id = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        const string Listener = "10.96.7.7_5432";
        var first = await SubscribeSettledAsync(id, observer, s => s.Listeners.Any(l => l.Name == Listener));

        var vs = new VirtualService(ObjectMeta.Of("db", ns), [db.Hostname], [], [],
            [new TcpRoute(5432, [new RouteDestination(new Destination(db.Hostname, "primary", null), 80), new RouteDestination(new Destination(db.Hostname, "replica", null), 20)])], []);
        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(db.Hostname)).UpdateAsync(new ServiceUpdate { Routing = new ServiceRouting(null, [vs]) });

        var next = await observer.NextAsync<ScopeSnapshot>("the scope rebuilt with db's tcp route");
        var listener = Envoy.Config.Listener.V3.Listener.Parser.ParseFrom(next.Listeners.Single(l => l.Name == Listener).Body.Span);
        var proxy = listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>();
        Assert.Equal([("outbound|5432|primary|" + db.Hostname, 80u), ("outbound|5432|replica|" + db.Hostname, 20u)], proxy.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)));
        Assert.NotEqual(first.Listeners.Single(l => l.Name == Listener).Version, next.Listeners.Single(l => l.Name == Listener).Version);
    }
}
