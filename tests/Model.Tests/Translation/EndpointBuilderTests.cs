using Mesh.Testing;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class EndpointBuilderTests
{
    private static List<ClusterLoadAssignment> Build(ServiceTranslationInput input) =>
        [.. EndpointBuilder.Build(input).Select(r => (ClusterLoadAssignment)EnvoyJson.Parse(r))];

    private static IEnumerable<string> Addresses(LocalityLbEndpoints group) =>
        group.LbEndpoints.Select(e => e.Endpoint.Address.SocketAddress.Address);

    [Fact]
    public void Build_Reviews_OneAssignmentPerCluster()
    {
        Assert.Equal(ClusterBuilder.ClusterNames(Bookinfo.ReviewsInput()), Build(Bookinfo.ReviewsInput()).Select(a => a.ClusterName));
    }

    [Fact]
    public void Build_Subset_FiltersByLabelsAndGroupsByLocality()
    {
        var all = Build(Bookinfo.ReviewsInput());

        var v1 = all[1];
        Assert.Equal(["10.1.1.1", "10.1.1.4"], Addresses(v1.Endpoints.Single()));
        Assert.Equal("us-east1-a", v1.Endpoints.Single().Locality.Zone);
        Assert.Equal(2u, v1.Endpoints.Single().LoadBalancingWeight);
        Assert.Equal(HealthStatus.Draining, v1.Endpoints.Single().LbEndpoints[1].HealthStatus);
        Assert.Equal(["us-east1-a", "us-east1-b"], all[0].Endpoints.Select(e => e.Locality.Zone));
    }

    [Fact]
    public void Build_DuplicateAddress_KeepsFirstInSortedOrder()
    {
        var input = Bookinfo.DetailsInput();
        input = input with { Endpoints = input.Endpoints.Add(Bookinfo.Endpoint("10.1.4.2", Bookinfo.ZoneA, "details") with { WorkloadName = "a-copy" }) };

        var assignment = Build(input).Single();

        // Zone A sorts before zone B, so the copy in zone A is the one kept.
        Assert.Equal(["10.1.4.1", "10.1.4.2"], Addresses(assignment.Endpoints.Single()));
    }

    [Fact]
    public void Build_EndpointWithoutThePort_IsExcluded()
    {
        var input = Bookinfo.RatingsInput();
        input = input with { Endpoints = input.Endpoints.Add(Bookinfo.Endpoint("10.1.2.9", Bookinfo.ZoneA, "ratings", ports: [9080])) };

        var all = Build(input);

        Assert.Contains("10.1.2.9", all[0].Endpoints.SelectMany(Addresses));
        Assert.DoesNotContain("10.1.2.9", all[1].Endpoints.SelectMany(Addresses));
        Assert.Equal(9090u, all[1].Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue);
    }

    [Fact]
    public void Build_NoEndpoints_EmptyAssignment()
    {
        var assignment = Build(Bookinfo.DetailsInput() with { Endpoints = [] }).Single();

        Assert.Equal($"outbound|9080||{Bookinfo.Details}", assignment.ClusterName);
        Assert.Empty(assignment.Endpoints);
    }

    [Fact]
    public void Build_ZeroWeight_CountsAsOne()
    {
        var input = Bookinfo.ProductPageInput();
        input = input with { Endpoints = [input.Endpoints[0] with { Weight = 0 }] };

        var group = Build(input).Single().Endpoints.Single();

        Assert.Equal(1u, group.LbEndpoints[0].LoadBalancingWeight);
        Assert.Equal(1u, group.LoadBalancingWeight);
    }

    [Fact]
    public void Build_TargetPort_UsedAsEndpointPort()
    {
        var input = Bookinfo.ProductPageInput();
        input = input with { Endpoints = [input.Endpoints[0] with { Ports = Bookinfo.Map((9080, 8080)) }] };

        var endpoint = Build(input).Single().Endpoints.Single().LbEndpoints.Single();

        Assert.Equal(8080u, endpoint.Endpoint.Address.SocketAddress.PortValue);
        Assert.Equal(HealthStatus.Healthy, endpoint.HealthStatus);
    }

    [Fact]
    public void Build_EndpointWithoutAddress_IsLeftOut()
    {
        // A WorkloadEntry on another network may have no address (Istio reaches it through the network's
        // gateway); gRPC NACKs an endpoint with no address (G-06), so it never reaches an assignment.
        var input = Bookinfo.DetailsInput();
        input = input with { Endpoints = input.Endpoints.Add(Bookinfo.Endpoint("", Bookinfo.ZoneA, "details", ports: [9080])) };

        var assignment = Build(input).Single();

        Assert.Equal(["10.1.4.1", "10.1.4.2"], assignment.Endpoints.SelectMany(Addresses).Order(StringComparer.Ordinal));
    }
}
