using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>A small Bookinfo-like model, built in code: four Kubernetes services, one ServiceEntry, two zones, one ingress gateway.</summary>
internal static class Bookinfo
{
    public const string Namespace = "bookinfo";
    public const string Reviews = "reviews.bookinfo.svc.cluster.local";
    public const string Ratings = "ratings.bookinfo.svc.cluster.local";
    public const string ProductPage = "productpage.bookinfo.svc.cluster.local";
    public const string Details = "details.bookinfo.svc.cluster.local";
    public const string Database = "db.example.com";

    public static readonly MeshSettings Settings = MeshSettings.Default;
    public static readonly Locality ZoneA = new("us-east1", "us-east1-a", "");
    public static readonly Locality ZoneB = new("us-east1", "us-east1-b", "");

    public static ImmutableSortedDictionary<TKey, TValue> Map<TKey, TValue>(params (TKey Key, TValue Value)[] pairs)
        where TKey : notnull =>
        pairs.ToImmutableSortedDictionary(p => p.Key, p => p.Value);

    public static MeshService Service(string name, string vip, params MeshServicePort[] ports) => new(
        $"{name}.{Namespace}.svc.cluster.local",
        Namespace,
        [.. ports],
        [vip],
        ServiceOrigin.Kubernetes,
        Resolution.Static,
        ["*"],
        Map(("app", name)));

    public static ServiceEndpoint Endpoint(string address, Locality locality, string app, string? version = null, EndpointHealth health = EndpointHealth.Healthy, params int[] ports)
    {
        var labels = version is null ? Map(("app", app)) : Map(("app", app), ("version", version));
        var portMap = (ports.Length == 0 ? [9080] : ports).ToImmutableSortedDictionary(p => p, p => p);
        return new(address, portMap, labels, locality, 1, health, $"bookinfo-{app}", $"{app}-{version ?? "v1"}");
    }

    public static MeshServicePort Http(int port = 9080) => new("http", port, Protocol.Http, port);

    public static ServiceTranslationInput ReviewsInput() => new(
        Service("reviews", "10.0.0.12", Http()),
        [
            Endpoint("10.1.1.1", ZoneA, "reviews", "v1"),
            Endpoint("10.1.1.4", ZoneA, "reviews", "v1", EndpointHealth.Draining),
            Endpoint("10.1.1.2", ZoneB, "reviews", "v2"),
            Endpoint("10.1.1.3", ZoneB, "reviews", "v3"),
        ],
        new DestinationRule(
            ObjectMeta.Of("reviews", Namespace),
            "reviews",
            new TrafficPolicy(LoadBalancerKind.LeastRequest),
            [
                new Subset("v1", Map(("version", "v1")), null),
                new Subset("v2", Map(("version", "v2")), null),
                new Subset("v3", Map(("version", "v3")), new TrafficPolicy(LoadBalancerKind.Random)),
            ],
            ["*"]),
        [ReviewsVirtualService()],
        Settings);

    public static VirtualService ReviewsVirtualService() => new(
        ObjectMeta.Of("reviews", Namespace),
        ["reviews"],
        [],
        [
            new HttpRoute(
                "jason",
                [new HttpMatchRequest(null, null, Map(("end-user", new StringMatch(StringMatchKind.Exact, "jason"))), null, [])],
                [new RouteDestination(new Destination("reviews", "v2", null), null)],
                null,
                null),
            new HttpRoute(
                "split",
                [],
                [
                    new RouteDestination(new Destination("reviews", "v1", null), 80),
                    new RouteDestination(new Destination("reviews", "v3", null), 20),
                    new RouteDestination(new Destination("reviews", "v2", null), 0),
                ],
                TimeSpan.FromSeconds(10),
                new HttpRetry(3, TimeSpan.FromSeconds(2), null)),
        ],
        [],
        ["*"]);

    public static ServiceTranslationInput RatingsInput() => new(
        Service("ratings", "10.0.0.13", Http(), new MeshServicePort("grpc-ratings", 9090, Protocol.Grpc, 9090)),
        [
            Endpoint("10.1.2.1", ZoneA, "ratings", "v1", ports: [9080, 9090]),
            Endpoint("10.1.2.2", ZoneB, "ratings", "v1", EndpointHealth.Unhealthy, ports: [9080, 9090]),
        ],
        null,
        [],
        Settings);

    public static ServiceTranslationInput ProductPageInput() => new(
        Service("productpage", "10.0.0.10", Http()),
        [Endpoint("10.1.3.1", ZoneA, "productpage")],
        null,
        [],
        Settings);

    public static ServiceTranslationInput DetailsInput() => new(
        Service("details", "10.0.0.11", Http()),
        [Endpoint("10.1.4.1", ZoneA, "details"), Endpoint("10.1.4.2", ZoneB, "details")],
        null,
        [],
        Settings);

    public static ServiceTranslationInput DatabaseInput() => new(
        new MeshService(
            Database,
            Namespace,
            [new MeshServicePort("tcp-mysql", 3306, Protocol.Tcp, 3306)],
            ["240.240.0.1"],
            ServiceOrigin.ServiceEntry,
            Resolution.Static,
            ["*"],
            ImmutableSortedDictionary<string, string>.Empty),
        [new ServiceEndpoint("192.168.0.5", Map((3306, 3306)), ImmutableSortedDictionary<string, string>.Empty, Locality.None, 1, EndpointHealth.Healthy, null, null)],
        null,
        [],
        Settings);

    public static ImmutableArray<ServiceTranslationInput> All() =>
        [DatabaseInput(), DetailsInput(), ProductPageInput(), RatingsInput(), ReviewsInput()];

    public static ScopeService ScopeService(ServiceTranslationInput input) => new(
        input.Service.Hostname,
        input.Service.Namespace,
        input.Service.Addresses,
        input.Service.Ports,
        ClusterBuilder.ClusterNames(input),
        RouteBuilder.BuildVirtualHosts(input));

    /// <summary>The scope of productpage's sidecar: every service visible, serving HTTP on 9080.</summary>
    public static ScopeView ProductPageScope() => new(
        Namespace,
        [.. All().Select(ScopeService)],
        [new InboundPort(9080, Protocol.Http)],
        Settings);

    public static RouterView IngressGateway() => new(
        [new Gateway(
            ObjectMeta.Of("bookinfo-gateway", Namespace),
            Map(("istio", "ingressgateway")),
            [new GatewayServer("http", new GatewayPort(80, "HTTP", "http"), ["*"])])],
        [new VirtualService(
            ObjectMeta.Of("bookinfo", Namespace),
            ["*"],
            ["bookinfo-gateway"],
            [new HttpRoute(
                null,
                [
                    new HttpMatchRequest(null, new StringMatch(StringMatchKind.Exact, "/productpage"), Map<string, StringMatch>(), null, []),
                    new HttpMatchRequest(null, new StringMatch(StringMatchKind.Prefix, "/static"), Map<string, StringMatch>(), null, []),
                    new HttpMatchRequest(null, new StringMatch(StringMatchKind.Regex, "/api/v1/products.*"), Map<string, StringMatch>(), null, []),
                ],
                [new RouteDestination(new Destination("productpage", null, null), null)],
                null,
                null)],
            [],
            ["*"])],
        Map((ProductPage, ImmutableArray.Create(Http()))),
        Settings);
}
