using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

public sealed class ScopeGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly ImmutableSortedDictionary<string, string> NoLabels = ImmutableSortedDictionary<string, string>.Empty;

    private static MeshService Service(string name, string ns, params string[] exportTo) => new($"{name}.{ns}.svc.cluster.local", ns,
        [new MeshServicePort("http", 80, Protocol.Http, null)], [], ServiceOrigin.Kubernetes, Resolution.Static, [.. exportTo],
        ImmutableSortedDictionary<string, string>.Empty.Add("app", name));

    private async Task DefineAsync(params MeshService[] services)
    {
        foreach (var s in services)
        {
            await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(s.Hostname)).UpdateAsync(new ServiceUpdate { Definition = s, Endpoints = [] });
        }
    }

    private static string Outbound(MeshService s) => ResourceNames.OutboundCluster(80, null, s.Hostname);

    [Fact]
    public async Task SidecarEgressAndExportTo_DecideWhichClustersAWorkloadSees()
    {
        var ns = $"n{Guid.NewGuid():N}"[..12];
        var other = ns + "x";
        var a = Service("a", ns);
        var b = Service("b", ns);
        var hidden = Service("hidden", other, ".");
        var shared = Service("shared", other);
        await DefineAsync(a, b, hidden, shared);
        var sidecar = new Sidecar(ObjectMeta.Of("default", ns), new WorkloadSelector(NoLabels.Add("app", "client")),
            [new SidecarEgress(null, ["./a." + ns + ".svc.cluster.local", other + "/*"])]);
        await fixture.Client.GetGrain<INamespaceGrain>(ns).UpdateAsync(new NamespaceConfig(ns, [a, b], [sidecar], [], []));
        await fixture.Client.GetGrain<INamespaceGrain>(other).UpdateAsync(new NamespaceConfig(other, [hidden, shared], [], [], []));
        await fixture.Client.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([ns, other]);

        var observer = new RecordingObserver();
        var scope = fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(ProxyKind.Sidecar, ns, "client"));
        var snapshot = await scope.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer),
            new ScopeIdentity(ProxyKind.Sidecar, ns, "client", NoLabels.Add("app", "client")));

        Assert.True(snapshot.Ready);
        // a by egress; shared by "other/*"; not b (not in egress), not hidden (exportTo ".").
        Assert.Equal([Outbound(a), Outbound(shared)], snapshot.ClusterNames.Where(c => c.StartsWith("outbound|", StringComparison.Ordinal)));
        Assert.Contains(snapshot.Listeners, l => l.Name == "0.0.0.0_80");
        Assert.Contains(snapshot.Routes, r => r.Name == "80");
    }

    [Fact]
    public async Task ProxylessScope_ListsTheClustersAndApiListenersOfWhatItSees_AndBuildsNoEnvoyListeners()
    {
        var ns = $"n{Guid.NewGuid():N}"[..12];
        var other = ns + "x";
        var a = Service("a", ns);
        var hidden = Service("hidden", other, ".");
        var shared = Service("shared", other);
        await DefineAsync(a, hidden, shared);
        await fixture.Client.GetGrain<INamespaceGrain>(ns).UpdateAsync(new NamespaceConfig(ns, [a], [], [], []));
        await fixture.Client.GetGrain<INamespaceGrain>(other).UpdateAsync(new NamespaceConfig(other, [hidden, shared], [], [], []));
        await fixture.Client.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([ns, other]);

        var scope = fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(ProxyKind.Proxyless, ns, "client"));
        var snapshot = await scope.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(new RecordingObserver()),
            new ScopeIdentity(ProxyKind.Proxyless, ns, "client", NoLabels));

        Assert.True(snapshot.Ready);
        Assert.Equal<string>([Outbound(a), Outbound(shared)], snapshot.ClusterNames);
        Assert.Equal<string>([ResourceNames.HostPort(a.Hostname, 80), ResourceNames.HostPort(shared.Hostname, 80)], snapshot.ServiceListeners);
        Assert.Empty(snapshot.Listeners);
        Assert.Empty(snapshot.Routes);
        Assert.Empty(snapshot.OwnClusters);
    }

    [Fact]
    public async Task NewServiceInNamespace_RebuildsTheScopeAndNotifiesGateways()
    {
        var ns = $"n{Guid.NewGuid():N}"[..12];
        var a = Service("a", ns);
        await DefineAsync(a);
        await fixture.Client.GetGrain<INamespaceGrain>(ns).UpdateAsync(new NamespaceConfig(ns, [a], [], [], []));
        await fixture.Client.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([ns]);
        var observer = new RecordingObserver();
        var scope = fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(ProxyKind.Sidecar, ns, "client"));
        var first = await scope.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer),
            new ScopeIdentity(ProxyKind.Sidecar, ns, "client", NoLabels));
        Assert.True(first.ClusterNames.Contains(Outbound(a)), $"{Outbound(a)} not in [{string.Join(", ", first.ClusterNames)}] diag [{string.Join(", ", first.Diagnostics)}]");

        var b = Service("b", ns);
        await DefineAsync(b);
        await fixture.Client.GetGrain<INamespaceGrain>(ns).UpdateAsync(new NamespaceConfig(ns, [a, b], [], [], []));

        var next = await observer.NextAsync<ScopeSnapshot>("the rebuilt scope");
        Assert.Contains(Outbound(b), next.ClusterNames);
        Assert.NotEqual(first.Version, next.Version);
    }

    [Fact]
    public async Task ServiceEndpointChange_DoesNotRebuildScopes()
    {
        var ns = $"n{Guid.NewGuid():N}"[..12];
        var a = Service("a", ns);
        await DefineAsync(a);
        await fixture.Client.GetGrain<INamespaceGrain>(ns).UpdateAsync(new NamespaceConfig(ns, [a], [], [], []));
        await fixture.Client.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([ns]);
        var observer = new RecordingObserver();
        var scope = fixture.Client.GetGrain<IScopeGrain>(ScopeKey.From(ProxyKind.Sidecar, ns, "client"));
        await scope.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer), new ScopeIdentity(ProxyKind.Sidecar, ns, "client", NoLabels));

        await fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(a.Hostname)).UpdateAsync(new ServiceUpdate
        {
            Endpoints = [new ServiceEndpoint("10.0.0.9", ImmutableSortedDictionary<int, int>.Empty.Add(80, 80), NoLabels, Locality.None, 1, EndpointHealth.Healthy, null, null)],
        });

        Assert.True(await observer.QuietAsync(TimeSpan.FromMilliseconds(500)), "an endpoint change must not reach scopes");
    }
}
