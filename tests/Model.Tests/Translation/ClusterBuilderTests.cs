using Mesh.Testing;
using Envoy.Config.Cluster.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class ClusterBuilderTests
{
    private static Cluster Parse(XdsResource resource) => (Cluster)EnvoyJson.Parse(resource);

    [Fact]
    public void BuildOutbound_ReviewsWithSubsets_OneClusterPerPortAndSubset()
    {
        var clusters = ClusterBuilder.BuildOutbound(Bookinfo.ReviewsInput());

        Assert.Equal(
            [
                $"outbound|9080||{Bookinfo.Reviews}",
                $"outbound|9080|v1|{Bookinfo.Reviews}",
                $"outbound|9080|v2|{Bookinfo.Reviews}",
                $"outbound|9080|v3|{Bookinfo.Reviews}",
            ],
            clusters.Select(c => c.Name));
        Assert.Equal(clusters.Select(c => c.Name), ClusterBuilder.ClusterNames(Bookinfo.ReviewsInput()));
    }

    [Fact]
    public void BuildOutbound_SubsetPolicy_OverridesTopLevel()
    {
        var clusters = ClusterBuilder.BuildOutbound(Bookinfo.ReviewsInput()).Select(Parse).ToList();

        // Envoy reads load_balancing_policy first; lb_policy stays ROUND_ROBIN for gRPC clients that read only it.
        Assert.Equal("envoy.load_balancing_policies.least_request", clusters[1].LoadBalancingPolicy.Policies[0].TypedExtensionConfig.Name);
        Assert.Equal("envoy.load_balancing_policies.random", clusters[3].LoadBalancingPolicy.Policies[0].TypedExtensionConfig.Name);
        Assert.All(clusters, c => Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, c.LbPolicy));
    }

    [Fact]
    public void BuildOutbound_NoDestinationRule_RoundRobinEdsOverAds()
    {
        var cluster = Parse(ClusterBuilder.BuildOutbound(Bookinfo.DetailsInput()).Single());

        Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy);
        Assert.NotNull(cluster.EdsClusterConfig.EdsConfig.Ads);
        Assert.Equal(cluster.Name, cluster.EdsClusterConfig.ServiceName);
        Assert.Equal(10, cluster.ConnectTimeout.Seconds);
    }

    [Fact]
    public void BuildOutbound_PassthroughPolicy_OriginalDstWithoutEds()
    {
        var input = Bookinfo.DetailsInput() with
        {
            DestinationRule = new DestinationRule(ObjectMeta.Of("details", Bookinfo.Namespace), "details", new TrafficPolicy(LoadBalancerKind.Passthrough), [], []),
        };

        var cluster = Parse(ClusterBuilder.BuildOutbound(input).Single());

        Assert.Equal(Cluster.Types.DiscoveryType.OriginalDst, cluster.Type);
        Assert.Equal(Cluster.Types.LbPolicy.ClusterProvided, cluster.LbPolicy);
        Assert.Null(cluster.EdsClusterConfig);
    }

    [Fact]
    public void BuildOutbound_GrpcPort_ExplicitHttp2Options()
    {
        var clusters = ClusterBuilder.BuildOutbound(Bookinfo.RatingsInput()).Select(Parse).ToList();

        Assert.Empty(clusters[0].TypedExtensionProtocolOptions);
        var options = clusters[1].TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
            .Unpack<Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions>();
        Assert.NotNull(options.ExplicitHttpConfig.Http2ProtocolOptions);
    }

    [Fact]
    public void BuildInbound_HttpPort_StaticToLoopback()
    {
        var cluster = Parse(ClusterBuilder.BuildInbound(new InboundPort(8080, Protocol.Http)));

        Assert.Equal("inbound|8080||", cluster.Name);
        Assert.Equal(Cluster.Types.DiscoveryType.Static, cluster.Type);
        var address = cluster.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress;
        Assert.Equal(("127.0.0.1", 8080u), (address.Address, address.PortValue));
    }

    [Fact]
    public void BuildPassthroughAndBlackHole_IstioShapes()
    {
        var passthrough = Parse(ClusterBuilder.BuildPassthrough());
        var blackHole = Parse(ClusterBuilder.BuildBlackHole());

        Assert.Equal((ResourceNames.PassthroughCluster, Cluster.Types.DiscoveryType.OriginalDst, Cluster.Types.LbPolicy.ClusterProvided), (passthrough.Name, passthrough.Type, passthrough.LbPolicy));
        Assert.Equal((ResourceNames.BlackHoleCluster, Cluster.Types.DiscoveryType.Static), (blackHole.Name, blackHole.Type));
        Assert.Null(blackHole.LoadAssignment);
    }
}
