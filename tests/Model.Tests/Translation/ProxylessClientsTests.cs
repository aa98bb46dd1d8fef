using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>Which proxyless client versions get what withheld (issue 15 item 4), and the adapted route.</summary>
[Trait("Category", "BVT")]
public sealed class ProxylessClientsTests
{
    [Theory]
    [InlineData("gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1", 29)]
    [InlineData("gRPC C-core linux", "C-core 24.0.0", 24)]
    [InlineData("gRPC C-core linux Python", "C-core 41.0.0 Python 1.63.0", 41)]
    [InlineData("gRPC Node Pure JS", "1.14.7", null)]
    [InlineData("gRPC Go", "1.70.0", null)]
    [InlineData("gRPC C-core linux", "C-core x.0", null)]
    [InlineData("gRPC C-core linux", "C-core 29", null)]
    [InlineData("", "", null)]
    public void CoreMajor_ReadsCCoreVersionsOnly(string name, string version, int? major) =>
        Assert.Equal(major, ProxylessClients.CoreMajor(name, version));

    [Theory]
    [InlineData("gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1", ClientQuirks.EarlyRouteTimeouts)]
    [InlineData("gRPC C-core linux", "C-core 20.0.0", ClientQuirks.EarlyRouteTimeouts)]
    [InlineData("gRPC C-core linux Python", "C-core 30.0.0 Python 1.52.0", ClientQuirks.None)]
    [InlineData("gRPC Node Pure JS", "1.14.7", ClientQuirks.None)]
    [InlineData("", "", ClientQuirks.None)]
    public void QuirksOf_FollowTheVersion_AndEveryGrpcClientEjectsByFailurePercentage(string name, string version, ClientQuirks byVersion) =>
        Assert.Equal(byVersion | ClientQuirks.Grpc, ProxylessClients.QuirksOf(name, version));

    [Fact]
    public void Adapt_EarlyRouteTimeouts_DropsMaxStreamDurationOfEveryRoute_AndKeepsTheRest()
    {
        var route = XdsResource.From(TypeUrls.Route, "a.shop.svc.cluster.local:80", Config(
            Timed("slow", TimeSpan.FromMilliseconds(300)), Timed("other", TimeSpan.FromSeconds(2)), Untimed("default"))) with { Rollout = "shop/r1" };

        var adapted = ProxylessClients.Adapt(route, ClientQuirks.EarlyRouteTimeouts);

        Assert.NotEqual(route.Version, adapted.Version);
        Assert.Equal((route.TypeUrl, route.Name, route.Rollout), (adapted.TypeUrl, adapted.Name, adapted.Rollout));
        var config = RouteConfiguration.Parser.ParseFrom(adapted.Body.Span);
        Assert.All(config.VirtualHosts.SelectMany(h => h.Routes), r => Assert.Null(r.Route_.MaxStreamDuration));
        Assert.Equal(["slow", "other", "default"], config.VirtualHosts.SelectMany(h => h.Routes).Select(r => r.Name));
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromMilliseconds(300)), config.VirtualHosts[0].Routes[0].Route_.Timeout);
        Assert.Equal(adapted.Version, ProxylessClients.Adapt(route, ClientQuirks.EarlyRouteTimeouts).Version); // deterministic
    }

    [Fact]
    public void Adapt_ReturnsTheSameInstance_WhenNothingIsWithheld()
    {
        var untimed = XdsResource.From(TypeUrls.Route, "a.shop.svc.cluster.local:80", Config(Untimed("default")));
        var timed = XdsResource.From(TypeUrls.Route, "a.shop.svc.cluster.local:80", Config(Timed("slow", TimeSpan.FromSeconds(1))));
        var cluster = XdsResource.From(TypeUrls.Cluster, "outbound|80||a.shop.svc.cluster.local", new Envoy.Config.Cluster.V3.Cluster { Name = "x" });
        var absent = XdsResource.Absent(TypeUrls.Route, "a.shop.svc.cluster.local:80", "shop/r1");

        Assert.Same(untimed, ProxylessClients.Adapt(untimed, ClientQuirks.EarlyRouteTimeouts));
        Assert.Same(timed, ProxylessClients.Adapt(timed, ClientQuirks.None));
        Assert.Same(cluster, ProxylessClients.Adapt(cluster, ClientQuirks.EarlyRouteTimeouts));
        Assert.Same(absent, ProxylessClients.Adapt(absent, ClientQuirks.EarlyRouteTimeouts));
    }

    [Fact]
    public void Withheld_NamesEachQuirksFeature() =>
        Assert.Equal(["route_timeout"], ProxylessClients.Withheld(ClientQuirks.EarlyRouteTimeouts));

    /// <summary>gRFC A50: gRPC clients eject by failure percentage; Istio's consecutive errors reach them as that, Envoy's fields untouched.</summary>
    [Fact]
    public void Adapt_Cluster_ConsecutiveErrorsBecomeFailurePercentage_ForGrpcClients()
    {
        var outlier = new Envoy.Config.Cluster.V3.OutlierDetection { EnforcingSuccessRate = 0, Consecutive5Xx = 3, EnforcingConsecutive5Xx = 100, ConsecutiveGatewayFailure = 2, EnforcingConsecutiveGatewayFailure = 100 };
        var cluster = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster { Name = "c", OutlierDetection = outlier });

        var adapted = Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(ProxylessClients.Adapt(cluster, ClientQuirks.Grpc).Body.Span).OutlierDetection;

        Assert.Equal((50u, 100u, 1u, 2u), (adapted.FailurePercentageThreshold!.Value, adapted.EnforcingFailurePercentage!.Value, adapted.FailurePercentageMinimumHosts!.Value, adapted.FailurePercentageRequestVolume!.Value));
        Assert.Equal((3u, 0u), (adapted.Consecutive5Xx!.Value, adapted.EnforcingSuccessRate!.Value));

        // Envoy's default of 5 consecutive 5xx when the rule sets none; nothing without outlier detection or for an Envoy.
        var defaults = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster { Name = "c", OutlierDetection = new Envoy.Config.Cluster.V3.OutlierDetection { EnforcingSuccessRate = 0 } });
        Assert.Equal(5u, Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(ProxylessClients.Adapt(defaults, ClientQuirks.Grpc).Body.Span).OutlierDetection.FailurePercentageRequestVolume);
        var plain = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster { Name = "c" });
        Assert.Same(plain, ProxylessClients.Adapt(plain, ClientQuirks.Grpc));
        Assert.Same(cluster, ProxylessClients.Adapt(cluster, ClientQuirks.None));
        var disabled = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster { Name = "c", OutlierDetection = new Envoy.Config.Cluster.V3.OutlierDetection { Consecutive5Xx = 0, EnforcingConsecutive5Xx = 0 } });
        Assert.Same(disabled, ProxylessClients.Adapt(disabled, ClientQuirks.Grpc));
    }

    [Fact]
    public void Adapt_Cluster_DropsTheTlsTransportSocket_ForGrpcClients()
    {
        var cluster = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster
        {
            Name = "c",
            TransportSocket = new Envoy.Config.Core.V3.TransportSocket { Name = ClusterTls.TransportSocketName, TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext { Sni = "c" }) },
        });

        Assert.Null(Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(ProxylessClients.Adapt(cluster, ClientQuirks.Grpc).Body.Span).TransportSocket);
        Assert.Same(cluster, ProxylessClients.Adapt(cluster, ClientQuirks.EarlyRouteTimeouts));
    }

    [Fact]
    public void Adapt_StrictDnsCluster_BecomesLogicalDnsOfItsFirstName_ForGrpcClients()
    {
        var assignment = new Envoy.Config.Endpoint.V3.ClusterLoadAssignment { ClusterName = "c" };
        foreach (var name in new[] { "a.example.com", "b.example.com" })
        {
            assignment.Endpoints.Add(new Envoy.Config.Endpoint.V3.LocalityLbEndpoints
            {
                LoadBalancingWeight = 1,
                LbEndpoints = { new Envoy.Config.Endpoint.V3.LbEndpoint { LoadBalancingWeight = 1, Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = new Envoy.Config.Core.V3.Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = name, PortValue = 443 } } } } },
            });
        }
        var cluster = XdsResource.From(TypeUrls.Cluster, "c", new Envoy.Config.Cluster.V3.Cluster { Name = "c", Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.StrictDns, LoadAssignment = assignment });

        var adapted = Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(ProxylessClients.Adapt(cluster, ClientQuirks.Grpc).Body.Span);

        Assert.Equal(Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.LogicalDns, adapted.Type);
        Assert.Equal("a.example.com", adapted.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address);
    }

    private static RouteConfiguration Config(params Route[] routes) =>
        new() { Name = "a.shop.svc.cluster.local:80", VirtualHosts = { new VirtualHost { Name = "a", Domains = { "*" }, Routes = { routes } } } };

    private static Route Timed(string name, TimeSpan timeout) => new()
    {
        Name = name,
        Match = new RouteMatch { Prefix = "/" + name },
        Route_ = new RouteAction
        {
            Cluster = "outbound|80||a.shop.svc.cluster.local",
            Timeout = Duration.FromTimeSpan(timeout),
            MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Duration.FromTimeSpan(timeout) },
        },
    };

    private static Route Untimed(string name) => new()
    {
        Name = name,
        Match = new RouteMatch { Prefix = "/" },
        Route_ = new RouteAction { Cluster = "outbound|80||a.shop.svc.cluster.local", Timeout = new Duration() },
    };
}
