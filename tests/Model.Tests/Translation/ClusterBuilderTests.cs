using System.Collections.Immutable;
using Mesh.Testing;
using Envoy.Config.Cluster.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class ClusterBuilderTests
{
    private static Cluster Parse(XdsResource resource) => (Cluster)EnvoyJson.Parse(resource);

    private static ServiceTranslationInput External(Resolution resolution, params ServiceEndpoint[] endpoints)
    {
        var db = Bookinfo.DatabaseInput();
        return db with { Service = db.Service with { Resolution = resolution }, Endpoints = [.. endpoints] };
    }

    private static ServiceEndpoint Named(string address, int port, string version) =>
        new(address, new SortedDictionary<int, int> { [3306] = port }.ToImmutableSortedDictionary(), new SortedDictionary<string, string> { ["version"] = version }.ToImmutableSortedDictionary(),
            Locality.None, 1, EndpointHealth.Healthy, null, null);

    /// <summary>ServiceEntry <c>resolution: DNS</c> as Istio: STRICT_DNS carrying the endpoints by name (V4_ONLY, TTL respected), no EDS.</summary>
    [Fact]
    public void BuildOutbound_DnsResolution_StrictDnsWithTheNamedEndpointsInline_NoEds()
    {
        var input = External(Resolution.Dns, Named("db-1.example.com", 3306, "v1"), Named("db-2.example.com", 3307, "v2"));

        var cluster = Parse(ClusterBuilder.BuildOutbound(input).Single());
        Assert.Equal((Cluster.Types.DiscoveryType.StrictDns, Cluster.Types.DnsLookupFamily.V4Only, true), (cluster.Type, cluster.DnsLookupFamily, cluster.RespectDnsTtl));
        Assert.Null(cluster.EdsClusterConfig);
        Assert.Equal([("db-1.example.com", 3306u), ("db-2.example.com", 3307u)],
            cluster.LoadAssignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => (e.Endpoint.Address.SocketAddress.Address, e.Endpoint.Address.SocketAddress.PortValue)));
        Assert.Empty(EndpointBuilder.Build(input));
    }

    [Fact]
    public void BuildOutbound_DnsWithoutEndpoints_ResolvesTheHost_RoundRobinDnsTakesOneName()
    {
        var bare = Parse(ClusterBuilder.BuildOutbound(External(Resolution.Dns)).Single());
        Assert.Equal((Bookinfo.Database, 3306u), (bare.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address, bare.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.PortValue));

        var logical = Parse(ClusterBuilder.BuildOutbound(External(Resolution.DnsRoundRobin, Named("db-1.example.com", 3306, "v1"), Named("db-2.example.com", 3306, "v2"))).Single());
        Assert.Equal(Cluster.Types.DiscoveryType.LogicalDns, logical.Type);
        Assert.Equal("db-1.example.com", logical.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address);
    }

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
