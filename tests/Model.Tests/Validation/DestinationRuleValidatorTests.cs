using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class DestinationRuleValidatorTests
{
    private static string Dr(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: reviews, namespace: bookinfo{"}"}
        spec:
        {spec}
        """;

    [Fact]
    public void Validate_ValidSubsets_HasNoErrors()
    {
        Assert.Empty(YamlFixtures.Validate(Dr("""
              host: reviews
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            """)));
    }

    [Fact]
    public void Rejects_MissingHost()
    {
        YamlFixtures.SingleError(YamlFixtures.Validate(Dr("  subsets: []")), "spec.host", "is required");
    }

    [Fact]
    public void Rejects_DuplicateSubsetName()
    {
        var errors = YamlFixtures.Validate(Dr("""
              host: reviews
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v1, labels: {version: v2}}
            """));

        YamlFixtures.SingleError(errors, "spec.subsets[1].name", "duplicate subset name 'v1'");
    }

    [Fact]
    public void Rejects_SubsetNameThatIsNotDns1123Label()
    {
        var errors = YamlFixtures.Validate(Dr("""
              host: reviews
              subsets:
              - {name: V1.stable, labels: {version: v1}}
            """));

        YamlFixtures.SingleError(errors, "spec.subsets[0].name", "'V1.stable' is not a valid DNS-1123 label");
    }

    [Fact]
    public void Rejects_SubsetWithoutLabels()
    {
        var errors = YamlFixtures.Validate(Dr("""
              host: reviews
              subsets:
              - {name: v1}
            """));

        YamlFixtures.SingleError(errors, "spec.subsets[0].labels", "subset labels must not be empty");
    }
}

/// <summary>Issue 15: Istio's traffic-policy rules, each error naming its field and why.</summary>
public sealed class TrafficPolicyValidatorTests
{
    private static string Dr(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: reviews, namespace: bookinfo{"}"}
        spec:
          host: reviews
        {string.Join('\n', spec.Split('\n').Select(l => "  " + l))}
        """;

    [Theory]
    [InlineData("trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 10s}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "is required")]
    [InlineData("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {tableSize: 1000}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "1000 is not a prime number")]
    [InlineData("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "is required for maglev")]
    [InlineData("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, minimumRingSize: 10, ringHash: {minimumRingSize: 10}}}}", "spec.trafficPolicy.loadBalancer.consistentHash", "set only one of minimumRingSize")]
    [InlineData("trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 10s, minimumPercent: 120}}}", "spec.trafficPolicy.loadBalancer.warmup.minimumPercent", "120 is not in range 0..100")]
    [InlineData("trafficPolicy: {connectionPool: {http: {http2MaxRequests: -1}}}", "spec.trafficPolicy.connectionPool.http.http2MaxRequests", "-1 must be non-negative")]
    [InlineData("trafficPolicy: {connectionPool: {tcp: {connectTimeout: 0s}}}", "spec.trafficPolicy.connectionPool.tcp.connectTimeout", "must be at least 1ms")]
    [InlineData("trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}", "spec.trafficPolicy.connectionPool.http.useClientProtocol", "must not be true when h2UpgradePolicy is UPGRADE")]
    [InlineData("trafficPolicy: {connectionPool: {}}", "spec.trafficPolicy.connectionPool", "connection pool must set tcp or http")]
    [InlineData("trafficPolicy: {outlierDetection: {maxEjectionPercent: 150}}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "percentage 150 is not in range 0..100")]
    [InlineData("trafficPolicy: {outlierDetection: {consecutiveLocalOriginFailures: 3}}", "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures", "needs splitExternalLocalOriginErrors: true")]
    [InlineData("subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {outlierDetection: {interval: 0s}}}]", "spec.subsets[0].trafficPolicy.outlierDetection.interval", "must be at least 1ms")]
    public void Rejects_WithFieldAndReason(string spec, string field, string reason)
    {
        var errors = Mesh.Model.Tests.Config.YamlFixtures.Validate(Dr(spec));

        Mesh.Model.Tests.Config.YamlFixtures.SingleError(errors, field, reason);
    }

    [Fact]
    public void Accepts_EveryBlockTogether()
    {
        var errors = Mesh.Model.Tests.Config.YamlFixtures.Validate(Dr("""
            trafficPolicy:
              loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 0s}, maglev: {tableSize: 65537}}}
              connectionPool: {tcp: {maxConnections: 10, connectTimeout: 1s, tcpKeepalive: {time: 60s}}, http: {http2MaxRequests: 100, h2UpgradePolicy: UPGRADE}}
              outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 100}
              portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: LEAST_REQUEST, warmup: {duration: 30s}}}]
            subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}]
            """));

        Assert.Empty(errors);
    }
}
