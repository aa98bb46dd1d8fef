using Mesh.Testing;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>The proxyless resources of every Bookinfo service pass gRPC's client checks (G-02…G-06); the checks themselves catch violations.</summary>
public sealed class ProxylessConformanceTests
{
    public static TheoryData<string> Hosts => [Bookinfo.Database, Bookinfo.Details, Bookinfo.ProductPage, Bookinfo.Ratings, Bookinfo.Reviews];

    private static ServiceTranslationInput Input(string host) => Bookinfo.All().Single(i => i.Service.Hostname == host);

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Listeners_BookinfoService_Conform(string host)
    {
        foreach (var resource in ListenerBuilder.BuildProxyless(Input(host)))
        {
            Assert.Empty(ProxylessConformance.CheckListener((Listener)EnvoyJson.Parse(resource), resource.Name));
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Routes_BookinfoService_Conform(string host)
    {
        var listeners = ListenerBuilder.BuildProxyless(Input(host));
        var routes = RouteBuilder.BuildProxylessRoutes(Input(host));

        // G-02: the listener's RDS name is served, and each route holds its own host:port.
        Assert.Equal(listeners.Select(l => l.Name), routes.Select(r => r.Name));
        foreach (var resource in routes)
        {
            Assert.Empty(ProxylessConformance.CheckRoute((RouteConfiguration)EnvoyJson.Parse(resource), resource.Name));
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void ClustersAndEndpoints_BookinfoService_Conform(string host)
    {
        foreach (var resource in ClusterBuilder.BuildOutbound(Input(host)))
        {
            Assert.Empty(ProxylessConformance.CheckCluster((Envoy.Config.Cluster.V3.Cluster)EnvoyJson.Parse(resource)));
        }
        foreach (var resource in EndpointBuilder.Build(Input(host)))
        {
            Assert.Empty(ProxylessConformance.CheckEndpoints((ClusterLoadAssignment)EnvoyJson.Parse(resource)));
        }
    }

    [Fact]
    public void Endpoints_DuplicateAddresses_AreDeduplicated()
    {
        var input = Bookinfo.ReviewsInput();
        input = input with
        {
            Endpoints = input.Endpoints.Add(Bookinfo.Endpoint("10.1.1.2", Bookinfo.ZoneA, "reviews", "v2")),
        };

        foreach (var resource in EndpointBuilder.Build(input))
        {
            Assert.Empty(ProxylessConformance.CheckEndpoints((ClusterLoadAssignment)EnvoyJson.Parse(resource)));
        }
    }

    [Fact]
    public void CheckListener_RouterNotLastAndDuplicateNames_Reported()
    {
        var manager = new HttpConnectionManager
        {
            Rds = new Rds { ConfigSource = new Envoy.Config.Core.V3.ConfigSource { Ads = new() }, RouteConfigName = "a.b:80" },
            HttpFilters =
            {
                new HttpFilter { Name = ProxylessConformance.RouterFilter },
                new HttpFilter { Name = "x" },
                new HttpFilter { Name = "x" },
            },
        };
        var listener = new Listener { Name = "a.b:80", ApiListener = new ApiListener { ApiListener_ = Any.Pack(manager) } };

        var errors = ProxylessConformance.CheckListener(listener, "a.b:80");

        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void CheckRoute_MissingDomainAndZeroWeights_Reported()
    {
        var config = new RouteConfiguration
        {
            Name = "a.b:80",
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = "a.b:80",
                    Domains = { "a.b" },
                    Routes = { new Route { Match = new RouteMatch(), Route_ = new RouteAction { WeightedClusters = new WeightedCluster { Clusters = { new WeightedCluster.Types.ClusterWeight { Name = "c", Weight = 0 } } } } } },
                },
            },
        };

        Assert.Equal(3, ProxylessConformance.CheckRoute(config, "a.b:80").Count);
    }

    [Fact]
    public void CheckRoute_StringMatchHeaderAndPathTemplate_Reported()
    {
        var match = new RouteMatch
        {
            PathMatchPolicy = new Envoy.Config.Core.V3.TypedExtensionConfig { Name = "template" },
            Headers = { new HeaderMatcher { Name = "end-user", StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Exact = "jason" } } },
        };
        var config = new RouteConfiguration
        {
            Name = "a.b:80",
            VirtualHosts =
            {
                new VirtualHost { Name = "a.b:80", Domains = { "a.b:80" }, Routes = { new Route { Name = "r", Match = match, Route_ = new RouteAction { Cluster = "c" } } } },
            },
        };

        var errors = ProxylessConformance.CheckRoute(config, "a.b:80");

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("PathMatchPolicy", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'end-user' uses StringMatch", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckEndpoints_DuplicateAddressAndUnweightedLocality_Reported()
    {
        LbEndpoint Endpoint() => new() { Endpoint = new Endpoint { Address = new Envoy.Config.Core.V3.Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "10.0.0.1", PortValue = 80 } } } };
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = "c",
            Endpoints = { new LocalityLbEndpoints { LbEndpoints = { Endpoint(), Endpoint() } } },
        };

        Assert.Equal(2, ProxylessConformance.CheckEndpoints(assignment).Count);
    }

    [Fact]
    public void Clusters_PassthroughPolicy_IsNotProxylessEds()
    {
        var input = Bookinfo.ReviewsInput();
        input = input with { DestinationRule = input.DestinationRule! with { TrafficPolicy = new TrafficPolicy(LoadBalancerKind.Passthrough) } };

        var cluster = (Envoy.Config.Cluster.V3.Cluster)EnvoyJson.Parse(ClusterBuilder.BuildOutbound(input)[0]);

        Assert.NotEmpty(ProxylessConformance.CheckCluster(cluster));
    }
}
