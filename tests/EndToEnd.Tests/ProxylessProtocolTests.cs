using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// A proxyless gRPC node (<c>GENERATOR: grpc</c>) through the whole stack, rule by rule, with the
/// project's ADS test client: wildcard LDS/CDS, EDS/RDS named before their parents, what it may
/// see, and unsubscribes. The node lives in <c>shop</c>; <c>lib</c> exports to everyone and
/// <c>vault</c> only to itself.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ProxylessProtocolTests : IAsyncLifetime, IDisposable
{
    private static readonly string Cart = Host("cart", "shop");
    private static readonly string Books = Host("books", "lib");
    private static readonly string Secret = Host("secret", "vault");
    private static readonly string CartCluster = ResourceNames.OutboundCluster(7070, null, Cart);
    private static readonly string CartV1 = ResourceNames.OutboundCluster(7070, "v1", Cart);
    private static readonly string BooksCluster = ResourceNames.OutboundCluster(7070, null, Books);
    private static readonly string SecretCluster = ResourceNames.OutboundCluster(7070, null, Secret);

    private readonly TempManifestDir _manifests = new();
    private InProcessMesh _mesh = null!;

    public async Task InitializeAsync()
    {
        _manifests.Write("cart.yaml", Entry("cart", "shop", "10.1.0.1") + DestinationRule("cart", "shop", "ROUND_ROBIN"));
        _manifests.Write("books.yaml", Entry("books", "lib", "10.2.0.1"));
        _manifests.Write("secret.yaml", Entry("secret", "vault", "10.3.0.1", exportTo: "."));
        _mesh = await InProcessMesh.StartAsync(_manifests.Path);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    public void Dispose() => _manifests.Dispose();

    private AdsTestClient Client(string pod = "client-1")
    {
        var node = TestNodes.WithId($"sidecar~127.0.0.1~{pod}.shop~shop.svc.cluster.local", "shop");
        node.Metadata.Fields["GENERATOR"] = Value.ForString("grpc");
        return new AdsTestClient(_mesh.XdsAddress, node);
    }

    [Fact]
    public async Task Sotw_WildcardCdsAndLds_ServeEverythingTheNodeSees_AndPushANewService_X17_X18()
    {
        await using var client = Client();

        await client.RequestAsync(TypeUrls.Cluster);
        var cds = await client.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(Sorted(CartV1, CartCluster, BooksCluster), ClusterNames(cds));
        await client.AckAsync(cds);
        await client.RequestAsync(TypeUrls.Listener);
        var lds = await client.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal(Sorted(ResourceNames.HostPort(Books, 7070), ResourceNames.HostPort(Cart, 7070)), ListenerNames(lds));
        await client.AckAsync(lds);

        _manifests.Write("pay.yaml", Entry("pay", "shop", "10.1.0.9"));

        var pushed = await client.ExpectResponseAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(15));
        Assert.Contains(ResourceNames.OutboundCluster(7070, null, Host("pay", "shop")), ClusterNames(pushed));
        Assert.Equal(4, pushed.Resources.Count); // X-26: the complete set, not just the new one
        await client.AckAsync(pushed);
        var pushedLds = await client.ExpectResponseAsync(TypeUrls.Listener, TimeSpan.FromSeconds(15));
        Assert.Contains(ResourceNames.HostPort(Host("pay", "shop"), 7070), ListenerNames(pushedLds));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Delta_WildcardCdsAndLds_LegacyOrStar_ServeEverythingTheNodeSees_X17_X39(bool star)
    {
        await using var client = Client();
        foreach (var type in new[] { TypeUrls.Cluster, TypeUrls.Listener })
        {
            var request = new DeltaDiscoveryRequest { TypeUrl = type };
            if (star)
            {
                request.ResourceNamesSubscribe.Add("*");
            }
            await client.DeltaRequestAsync(request);
            var expected = type == TypeUrls.Cluster
                ? Sorted(CartV1, CartCluster, BooksCluster)
                : Sorted(ResourceNames.HostPort(Books, 7070), ResourceNames.HostPort(Cart, 7070));
            Assert.Equal(expected, await ReceiveUntilAsync(client, type, expected.Count));
        }
        await client.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Sotw_EdsAndRdsByName_FirstOnAFreshStream_AreAnsweredWithTheResource_X19_X21()
    {
        await using var client = Client();

        // Two services load independently: a response may carry the one already loaded and the next
        // the other (EDS absent from a SotW response is not a deletion, X-27), but none is empty.
        await client.RequestAsync(TypeUrls.Endpoint, [CartV1, BooksCluster]);
        var held = new SortedSet<string>(StringComparer.Ordinal);
        for (var responses = 1; held.Count < 2; responses++)
        {
            Assert.True(responses <= 2, $"EDS for [{CartV1}, {BooksCluster}] took more than two responses; held {string.Join(", ", held)}");
            var eds = await client.ExpectResponseAsync(TypeUrls.Endpoint);
            Assert.NotEmpty(eds.Resources);
            held.UnionWith(eds.Resources.Select(r => ClusterLoadAssignment.Parser.ParseFrom(r.Value).ClusterName));
            await client.AckAsync(eds);
        }
        Assert.Equal(Sorted(BooksCluster, CartV1), held);
        await client.RequestAsync(TypeUrls.Route, [ResourceNames.HostPort(Cart, 7070)]);
        var rds = await client.ExpectResponseAsync(TypeUrls.Route);
        Assert.Equal(ResourceNames.HostPort(Cart, 7070), Envoy.Config.Route.V3.RouteConfiguration.Parser.ParseFrom(Assert.Single(rds.Resources).Value).Name);
        await client.AckAsync(rds);
        await client.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Delta_EdsAndRdsByName_FirstOnAFreshStream_AreAnsweredWithTheResource_X19_X21()
    {
        await using var client = Client();

        await client.SubscribeAsync(TypeUrls.Route, ResourceNames.HostPort(Books, 7070));
        var rds = await client.ExpectDeltaAsync(TypeUrls.Route);
        Assert.Equal([ResourceNames.HostPort(Books, 7070)], rds.Resources.Select(r => r.Name));
        await client.DeltaAckAsync(rds);
        await client.SubscribeAsync(TypeUrls.Endpoint, CartV1);
        var eds = await client.ExpectDeltaAsync(TypeUrls.Endpoint);
        Assert.Equal([CartV1], eds.Resources.Select(r => r.Name));
        await client.DeltaAckAsync(eds);
        await client.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task ResourcesOfAServiceNotExportedToTheNode_AreNotServed_X22_X32()
    {
        await using var client = Client();

        await client.SubscribeAsync(TypeUrls.Cluster, SecretCluster, BooksCluster);
        var delta = await client.ExpectDeltaAsync(TypeUrls.Cluster);
        Assert.Equal([BooksCluster], delta.Resources.Select(r => r.Name));
        Assert.Equal([SecretCluster], delta.RemovedResources);

        await client.RequestAsync(TypeUrls.Listener, [ResourceNames.HostPort(Secret, 7070), ResourceNames.HostPort(Books, 7070)]);
        var lds = await client.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal([ResourceNames.HostPort(Books, 7070)], ListenerNames(lds));
    }

    [Fact]
    public async Task Delta_UnsubscribedCluster_IsNeverSentAgain_WhileItAndOthersChange_X40()
    {
        await using var client = Client();
        await client.SubscribeAsync(TypeUrls.Cluster, CartCluster, CartV1, BooksCluster);
        var held = await ReceiveUntilAsync(client, TypeUrls.Cluster, 3);
        Assert.Equal(Sorted(CartV1, CartCluster, BooksCluster), held);

        await client.UnsubscribeAsync(TypeUrls.Cluster, CartCluster, CartV1);
        await client.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(500)); // X-40: an unsubscribe needs no answer

        // Both services' clusters change: only books may reach the client.
        _manifests.Write("cart.yaml", Entry("cart", "shop", "10.1.0.1") + DestinationRule("cart", "shop", "LEAST_REQUEST"));
        _manifests.Write("books.yaml", Entry("books", "lib", "10.2.0.1") + DestinationRule("books", "lib", "RANDOM"));

        var next = await client.ExpectDeltaAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(15));
        await client.DeltaAckAsync(next);
        Assert.Equal([BooksCluster], next.Resources.Select(r => r.Name));
        Assert.Equal("envoy.load_balancing_policies.random", Cluster.Parser.ParseFrom(next.Resources[0].Resource_.Value).LoadBalancingPolicy.Policies[0].TypedExtensionConfig.Name);
        await client.ExpectNoDeltaAsync(TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Delta_UnsubscribingANameTheWildcardCovers_ResendsIt_X40()
    {
        await using var client = Client();
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster };
        request.ResourceNamesSubscribe.Add(["*", BooksCluster, SecretCluster]);
        await client.DeltaRequestAsync(request);
        // The first answers carry every cluster the wildcard covers, and secret as absent (X-32).
        var held = new SortedSet<string>(StringComparer.Ordinal);
        var absent = new HashSet<string>(StringComparer.Ordinal);
        while (held.Count < 3 || !absent.Contains(SecretCluster))
        {
            var r = await client.ExpectDeltaAsync(TypeUrls.Cluster);
            await client.DeltaAckAsync(r);
            held.UnionWith(r.Resources.Select(x => x.Name));
            absent.UnionWith(r.RemovedResources);
        }
        Assert.Equal(Sorted(CartV1, CartCluster, BooksCluster), held);

        await client.UnsubscribeAsync(TypeUrls.Cluster, BooksCluster, SecretCluster);

        // X-40: with "*" still subscribed the client must learn whether the wildcard covers each name.
        var answer = await client.ExpectDeltaAsync(TypeUrls.Cluster);
        Assert.Equal([BooksCluster], answer.Resources.Select(r => r.Name));
        Assert.Equal([SecretCluster], answer.RemovedResources);
    }

    /// <summary>
    /// Delta may answer in parts while services load: ACKs responses until the client holds
    /// <paramref name="count"/> names (none removed) and returns them sorted.
    /// </summary>
    private static async Task<List<string>> ReceiveUntilAsync(AdsTestClient client, string typeUrl, int count)
    {
        var held = new SortedSet<string>(StringComparer.Ordinal);
        while (held.Count < count)
        {
            var response = await client.ExpectDeltaAsync(typeUrl);
            await client.DeltaAckAsync(response);
            Assert.Empty(response.RemovedResources);
            held.UnionWith(response.Resources.Select(r => r.Name));
        }
        return [.. held];
    }

    private static List<string> Sorted(params string[] names) => [.. names.Order(StringComparer.Ordinal)];

    private static List<string> ClusterNames(DiscoveryResponse r) => [.. r.Resources.Select(a => Cluster.Parser.ParseFrom(a.Value).Name).Order(StringComparer.Ordinal)];

    private static List<string> ListenerNames(DiscoveryResponse r) => [.. r.Resources.Select(a => Listener.Parser.ParseFrom(a.Value).Name).Order(StringComparer.Ordinal)];

    private static string Host(string name, string ns) => $"{name}.{ns}.svc.cluster.local";

    private static string Entry(string name, string ns, string ip, string exportTo = "*") => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          hosts: [{Host(name, ns)}]
          exportTo: ["{exportTo}"]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{"{"}number: 7070, name: grpc, protocol: GRPC{"}"}]
          endpoints: [{"{"}address: {ip}, labels: {"{"}version: v1{"}"}{"}"}]
        ---

        """;

    private static string DestinationRule(string name, string ns, string lb) => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          host: {Host(name, ns)}
          trafficPolicy: {"{"}loadBalancer: {"{"}simple: {lb}{"}"}{"}"}
          subsets: [{"{"}name: v1, labels: {"{"}version: v1{"}"}{"}"}]

        """;
}
