using System.Collections.Immutable;
using Envoy.Config.Listener.V3;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Config;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

/// <summary>Workloads: which shared scope serves them, and what is theirs alone (a sidecar's inbound side).</summary>
public sealed class WorkloadGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ImmutableSortedDictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    private async Task<WorkloadSnapshot> SubscribeAsync(WorkloadIdentity id, RecordingObserver observer) =>
        await fixture.Client.GetGrain<IWorkloadGrain>(WorkloadKey.From(id.Kind, id.Namespace, id.Workload, id.Labels))
            .SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer), id);

    [Fact]
    public async Task WorkloadsOfANamespace_ShareOneScope_AndASidecarSelectingSomeMovesExactlyThem()
    {
        var ns = ScopeGrainTests.NewNamespace();
        await fixture.DefineAsync(new NamespaceConfig(ns, [ScopeGrainTests.Service("a", ns)], [], [], []));
        var observers = Enumerable.Range(0, 6).Select(_ => new RecordingObserver()).ToList();
        var snapshots = new List<WorkloadSnapshot>();
        for (var i = 0; i < 6; i++)
        {
            var labels = i < 2 ? Labels(("app", $"w{i}"), ("tier", "edge")) : Labels(("app", $"w{i}"));
            snapshots.Add(await SubscribeAsync(new WorkloadIdentity(ProxyKind.Sidecar, ns, $"w{i}", labels), observers[i]));
        }
        Assert.All(snapshots, s => Assert.Equal($"sidecar/{ns}/(none)", ScopeKey.From(s.Scope!)));

        var edge = new Sidecar(ObjectMeta.Of("edge", ns), new WorkloadSelector(Labels(("tier", "edge"))), [new SidecarEgress(null, ["./*"])]);
        await fixture.DefineAsync(new NamespaceConfig(ns, [ScopeGrainTests.Service("a", ns)], [edge], [], []));

        for (var i = 0; i < 2; i++)
        {
            var moved = await observers[i].NextAsync<WorkloadSnapshot>($"workload w{i} moving to the edge Sidecar's scope");
            Assert.Equal($"sidecar/{ns}/edge", ScopeKey.From(moved.Scope!));
        }
        for (var i = 2; i < 6; i++)
        {
            Assert.True(await observers[i].QuietAsync(TimeSpan.FromMilliseconds(i == 2 ? 500 : 50)), $"w{i} is not selected by the new Sidecar and must not change");
        }
    }

    [Fact]
    public async Task Renew_ReturnsNothingForTheVersionHeld_AndTheSnapshotForAnother()
    {
        var ns = ScopeGrainTests.NewNamespace();
        await fixture.DefineAsync(new NamespaceConfig(ns, [ScopeGrainTests.Service("a", ns)], [], [], []));
        var id = new WorkloadIdentity(ProxyKind.Sidecar, ns, "w", Labels(("app", "w")));
        var observer = fixture.Client.CreateObjectReference<IXdsGatewayObserver>(new RecordingObserver());
        var grain = fixture.Client.GetGrain<IWorkloadGrain>(WorkloadKey.From(id.Kind, id.Namespace, id.Workload, id.Labels));
        var snapshot = await grain.SubscribeAsync(observer, id);

        // A rebuild may follow the first build (the service's view arriving): renew with the version
        // current at the time; a rebuild between the two calls is the only reason to get one back.
        WorkloadSnapshot current;
        WorkloadSnapshot? renewed = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            current = await grain.GetSnapshotAsync();
            renewed = await grain.RenewAsync(observer, id, current.Version);
            if (renewed is null)
            {
                break;
            }
            Assert.NotEqual(current.Version, renewed.Version);
        }
        Assert.Null(renewed);
        current = await grain.GetSnapshotAsync();
        var fetched = await grain.RenewAsync(observer, id, "a version it never had");
        Assert.NotNull(fetched);
        Assert.Equal(current.Version, fetched.Version);
        Assert.Equal(snapshot.WorkloadKey, fetched.WorkloadKey);
    }

    [Fact]
    public async Task SidecarWorkload_GetsInboundListenerAndClustersForThePortsItsServicesTarget()
    {
        var ns = ScopeGrainTests.NewNamespace();
        var api = ScopeGrainTests.Service("api", ns) with
        {
            Ports = [new Model.Services.MeshServicePort("http", 80, Model.Services.Protocol.Http, 8080), new Model.Services.MeshServicePort("tcp", 9000, Model.Services.Protocol.Tcp, null)],
        };
        await fixture.DefineAsync(new NamespaceConfig(ns, [api], [], [], []));

        // The service's view reaches the silo's catalog apart from its write (one-way): the workload
        // may first be built without it, and is rebuilt and pushed when it arrives.
        var servingObserver = new RecordingObserver();
        var serving = await SubscribeAsync(new WorkloadIdentity(ProxyKind.Sidecar, ns, "api", Labels(("app", "api"))), servingObserver);
        while (serving.Clusters.Length < 2)
        {
            serving = await servingObserver.NextAsync<WorkloadSnapshot>("the api workload rebuilt with its service's ports");
        }
        var client = await SubscribeAsync(new WorkloadIdentity(ProxyKind.Sidecar, ns, "client", Labels(("app", "client"))), new RecordingObserver());

        Assert.Equal(["inbound|8080||", "inbound|9000||"], serving.Clusters.Select(c => c.Name));
        var inbound = Listener.Parser.ParseFrom(Assert.Single(serving.Listeners).Body.Span);
        Assert.Equal(ResourceNames.VirtualInbound, inbound.Name);
        Assert.Equal([8080u, 9000u], inbound.FilterChains.Select(f => f.FilterChainMatch.DestinationPort.GetValueOrDefault()));
        Assert.Empty(client.Clusters);
        Assert.Empty(Listener.Parser.ParseFrom(Assert.Single(client.Listeners).Body.Span).FilterChains);
        // Both are served by the same shared scope.
        Assert.Equal(ScopeKey.From(serving.Scope!), ScopeKey.From(client.Scope!));
    }

    [Fact]
    public async Task ProxylessAndRouterWorkloads_NameTheirKindsScope_AndHaveNoInboundSide()
    {
        var ns = ScopeGrainTests.NewNamespace();
        await fixture.DefineAsync(new NamespaceConfig(ns, [ScopeGrainTests.Service("a", ns)], [], [], []));

        var grpc = await SubscribeAsync(new WorkloadIdentity(ProxyKind.Proxyless, ns, "client", Labels(("app", "a"))), new RecordingObserver());
        var router = await SubscribeAsync(new WorkloadIdentity(ProxyKind.Router, ns, "ingress", Labels(("istio", "ingressgateway"))), new RecordingObserver());

        Assert.Equal($"proxyless/{ns}/(none)", ScopeKey.From(grpc.Scope!));
        Assert.StartsWith($"router/{ns}/ingress/", ScopeKey.From(router.Scope!), StringComparison.Ordinal);
        Assert.Empty(grpc.Listeners.Concat(grpc.Clusters).Concat(router.Listeners).Concat(router.Clusters));
    }
}
