using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Tests.Config;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>
/// Issue 15: DestinationRule <c>localityLbSetting</c> as Istio applies it — a plan per cluster,
/// carried with its load assignment, applied per proxy locality (failover priorities, distribute
/// weights) — and the cluster's locality-weighted config.
/// </summary>
[Trait("Category", "BVT")]
public sealed class LocalityLoadBalancingTests
{
    private static readonly Locality EastA1 = new("us-east", "us-east-a", "1");
    private static readonly Locality EastA2 = new("us-east", "us-east-a", "2");
    private static readonly Locality EastB = new("us-east", "us-east-b", "");
    private static readonly Locality West = new("us-west", "us-west-a", "");
    private static readonly Locality Europe = new("eu-west", "eu-west-a", "");
    private const string Top = "outbound|9080||details.bookinfo.svc.cluster.local";
    private static readonly string[] Addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"];

    private static DestinationRule Dr(string trafficPolicy) => YamlFixtures.ParseSingle<DestinationRule>($$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: details, namespace: bookinfo}
        spec:
          host: details
          trafficPolicy: {{trafficPolicy}}
        """);

    private static ServiceTranslationInput Input(DestinationRule? rule) => Bookinfo.DetailsInput() with
    {
        DestinationRule = rule,
        Endpoints =
        [
            Bookinfo.Endpoint("10.0.0.1", EastA1, "details"),
            Bookinfo.Endpoint("10.0.0.2", EastA2, "details"),
            Bookinfo.Endpoint("10.0.0.3", EastB, "details"),
            Bookinfo.Endpoint("10.0.0.4", West, "details"),
            Bookinfo.Endpoint("10.0.0.5", Europe, "details"),
            Bookinfo.Endpoint("10.0.0.6", Europe, "details"),
        ],
    };

    private static XdsResource Assignment(DestinationRule? rule) => EndpointBuilder.Build(Input(rule)).Single(r => r.Name == Top);

    /// <summary>Each endpoint address with its priority and its locality's weight, as a proxy in <paramref name="proxy"/> gets them.</summary>
    private static Dictionary<string, (uint Priority, uint? Weight)> Seen(XdsResource assignment, Locality proxy) =>
        ClusterLoadAssignment.Parser.ParseFrom(LocalityLoadBalancing.Adapt(assignment, proxy).Body.Span).Endpoints
            .SelectMany(g => g.LbEndpoints.Select(e => (e.Endpoint.Address.SocketAddress.Address, g.Priority, g.LoadBalancingWeight)))
            .ToDictionary(e => e.Address, e => (e.Priority, e.LoadBalancingWeight));

    [Fact]
    public void NoRule_OrNoOutlierDetection_NoPlan_TheAssignmentIsTheSameForEveryProxy()
    {
        foreach (var rule in new DestinationRule?[] { null, Dr("{connectionPool: {http: {http2MaxRequests: 10}}}") })
        {
            var assignment = Assignment(rule);
            Assert.Null(assignment.LocalityLb);
            Assert.Same(assignment, LocalityLoadBalancing.Adapt(assignment, EastA1));
        }
    }

    /// <summary>Istio's mesh default (locality LB enabled) with outlier detection: sub-zone 0, zone 1, region 2, the rest 3.</summary>
    [Fact]
    public void OutlierDetectionAlone_DefaultFailover_PrioritiesBySubZoneZoneRegion()
    {
        var assignment = Assignment(Dr("{outlierDetection: {consecutive5xxErrors: 3}}"));

        Assert.NotNull(assignment.LocalityLb);
        var seen = Seen(assignment, EastA1);
        Assert.Equal(new uint[] { 0, 1, 2, 3, 3, 3 }, Addresses.Select(a => seen[a].Priority));
        // A proxy elsewhere sees other priorities from the same resource; the levels with nobody are skipped.
        var fromWest = Seen(assignment, West);
        Assert.Equal(new uint[] { 1, 1, 1, 0, 1, 1 }, Addresses.Select(a => fromWest[a].Priority));
        // Cluster: no locality weights for the default failover (as Istio, only for explicit failover or distribute).
        Assert.Null(Cluster.Parser.ParseFrom(ClusterBuilder.BuildOutbound(Input(Dr("{outlierDetection: {consecutive5xxErrors: 3}}"))).Single(c => c.Name == Top).Body.Span).CommonLbConfig.LocalityWeightedLbConfig);
    }

    [Fact]
    public void ExplicitFailover_TheTargetRegionComesBeforeTheOthers_AndLocalitiesAreWeighted()
    {
        var rule = Dr("""
            {loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}]}}, outlierDetection: {consecutive5xxErrors: 3}}
            """);
        var seen = Seen(Assignment(rule), EastB);

        Assert.Equal(new uint[] { 1, 1, 0, 3, 2, 2 }, Addresses.Select(a => seen[a].Priority));
        var cluster = Cluster.Parser.ParseFrom(ClusterBuilder.BuildOutbound(Input(rule)).Single(c => c.Name == Top).Body.Span);
        Assert.NotNull(cluster.CommonLbConfig.LocalityWeightedLbConfig);
        Assert.Equal(0, cluster.CommonLbConfig.HealthyPanicThreshold.Value); // outlier detection's panic threshold kept
    }

    [Fact]
    public void FailoverWithoutOutlierDetection_OrDisabled_NoPlan_AsIstio()
    {
        Assert.Null(Assignment(Dr("{loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}]}}}")).LocalityLb);
        Assert.Null(Assignment(Dr("{loadBalancer: {localityLbSetting: {enabled: false}}, outlierDetection: {consecutive5xxErrors: 3}}")).LocalityLb);
    }

    /// <summary>Istio's distribute: the first rule whose from holds the proxy splits each percentage over the matched localities by weight (rounded up); unmatched localities get nothing.</summary>
    [Fact]
    public void Distribute_WeighsMatchedLocalities_DropsTheRest_OnlyForProxiesOfItsFrom()
    {
        var rule = Dr("""{loadBalancer: {localityLbSetting: {distribute: [{from: "us-east/us-east-a/*", to: {"us-east/us-east-a/*": 80, "eu-west/*": 20}}]}}}""");
        var assignment = Assignment(rule);

        var seen = Seen(assignment, EastA2);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.0.6"], seen.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((0u, (uint?)40), seen["10.0.0.1"]); // 80 over two sub-zones of weight 1 each
        Assert.Equal((0u, (uint?)40), seen["10.0.0.2"]);
        Assert.Equal((0u, (uint?)20), seen["10.0.0.5"]); // one locality holding both European endpoints
        // A proxy no rule's from holds keeps every locality with its own weight.
        var fromWest = Seen(assignment, West);
        Assert.Equal(6, fromWest.Count);
        Assert.Equal((uint?)2, fromWest["10.0.0.5"].Weight);
        Assert.NotNull(Cluster.Parser.ParseFrom(ClusterBuilder.BuildOutbound(Input(rule)).Single(c => c.Name == Top).Body.Span).CommonLbConfig.LocalityWeightedLbConfig);
    }

    [Fact]
    public void ThePlanIsPartOfTheVersion_AndTheAdaptedResourceIsDeterministic()
    {
        var one = Assignment(Dr("{loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}]}}, outlierDetection: {consecutive5xxErrors: 3}}"));
        var other = Assignment(Dr("{loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: us-west}]}}, outlierDetection: {consecutive5xxErrors: 3}}"));

        Assert.Equal(one.Body.ToArray(), other.Body.ToArray()); // the same endpoints ...
        Assert.NotEqual(one.Version, other.Version); // ... under another plan: another resource
        Assert.Equal(LocalityLoadBalancing.Adapt(one, EastB).Version, LocalityLoadBalancing.Adapt(one, EastB).Version);
        Assert.Null(LocalityLoadBalancing.Adapt(one, EastB).LocalityLb);
        Assert.Equal(LocalityLbPlan.Decode(one.LocalityLb!).Encode(), one.LocalityLb);
    }

    [Theory]
    [InlineData("us-east", true)]
    [InlineData("us-east/*", true)]
    [InlineData("us-east/us-east-a", true)]
    [InlineData("us-east/us-east-a/1", true)]
    [InlineData("us-east/us-east-a/2", false)]
    [InlineData("us-east/us-east-b/*", false)]
    [InlineData("*", true)]
    [InlineData("eu-west", false)]
    public void Matches_AsIstiosLocalityMatch(string rule, bool matches) =>
        Assert.Equal(matches, LocalityLoadBalancing.Matches(EastA1, rule));

    [Fact]
    public void FailoverPriority_IsValidatedButReportedAsNotTranslated()
    {
        var rule = Dr("{loadBalancer: {localityLbSetting: {failoverPriority: [topology.kubernetes.io/region]}}, outlierDetection: {consecutive5xxErrors: 3}}");

        Assert.Contains("spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority", rule.Unsupported);
    }
}
