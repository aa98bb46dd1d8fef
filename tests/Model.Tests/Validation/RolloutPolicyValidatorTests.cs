using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

/// <summary>RolloutPolicy (mesh.dev/v1alpha1): every field parsed, and each bad input rejected with the field and the reason.</summary>
public sealed class RolloutPolicyValidatorTests
{
    private static string Policy(string spec, string ns = "bookinfo") => $"""
        apiVersion: mesh.dev/v1alpha1
        kind: RolloutPolicy
        metadata: {"{"}name: careful, namespace: {ns}{"}"}
        spec:
        {spec}
        """;

    private const string Stages = """
          stages:
          - percent: 1
          - percent: 10
          - percent: 100
        """;

    [Fact]
    public void Parses_EveryField()
    {
        var policy = YamlFixtures.ParseSingle<RolloutPolicy>(Policy("""
              selector:
                kinds: [VirtualService, DestinationRule]
                names: [reviews, ratings]
                matchLabels: {tier: critical}
              stages:
              - canary: {matchLabels: {canary: "true"}}
                bake: 30s
              - percent: 1
              - percent: 12.5
                bake: 2m
              - percent: 100
              bake: 45s
              gates:
                maxNacks: 2
                maxNackRatio: 0.05
                health:
                  url: http://prometheus.monitoring:9090/api/v1/query?query=up%3D%3D0
                  interval: 10s
                  timeout: 3s
                  failureThreshold: 2
              onConflict: Queue
              promotion: Manual
            """));

        Assert.Equal(ConfigKind.RolloutPolicy, policy.Kind);
        Assert.Equal(new[] { ConfigKind.VirtualService, ConfigKind.DestinationRule }, policy.Selector.Kinds.ToArray());
        Assert.Equal(new[] { "reviews", "ratings" }, policy.Selector.Names.ToArray());
        Assert.Equal("critical", policy.Selector.MatchLabels["tier"]);
        Assert.Equal(4, policy.Stages.Length);
        Assert.True(policy.Stages[0].IsCanary);
        Assert.Equal("true", policy.Stages[0].CanaryLabels!["canary"]);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.Stages[0].Bake);
        Assert.Equal(12.5, policy.Stages[2].Percent);
        Assert.Equal(TimeSpan.FromMinutes(2), policy.Stages[2].Bake);
        Assert.Null(policy.Stages[3].Bake);
        Assert.Equal(TimeSpan.FromSeconds(45), policy.Bake);
        Assert.Equal(2, policy.Gates.MaxNacks);
        Assert.Equal(0.05, policy.Gates.MaxNackRatio);
        var health = Assert.IsType<HealthGate>(policy.Gates.Health);
        Assert.Equal(TimeSpan.FromSeconds(10), health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(3), health.Timeout);
        Assert.Equal(2, health.FailureThreshold);
        Assert.Equal(RolloutConflict.Queue, policy.OnConflict);
        Assert.True(policy.Manual);
        Assert.Empty(Mesh.Model.Validation.ConfigValidator.Validate(policy, YamlFixtures.Source));
    }

    [Fact]
    public void Defaults_ZeroBake_NoNacks_Supersede_Automatic()
    {
        var policy = YamlFixtures.ParseSingle<RolloutPolicy>(Policy(Stages));
        Assert.Empty(policy.Selector.Kinds);
        Assert.Empty(policy.Selector.Names);
        Assert.Equal(TimeSpan.Zero, policy.Bake);
        Assert.Equal(RolloutGates.Default, policy.Gates);
        Assert.Equal(RolloutConflict.Supersede, policy.OnConflict);
        Assert.False(policy.Manual);
        Assert.Empty(YamlFixtures.Validate(Policy(Stages)));
    }

    [Theory]
    [InlineData("  stages: [{percent: 10}, {percent: 5}, {percent: 100}]", "spec.stages[1].percent", "stages must grow: 5% after 10%")]
    [InlineData("  stages: [{percent: 10}, {percent: 10}, {percent: 100}]", "spec.stages[1].percent", "stages must grow: 10% after 10%")]
    [InlineData("  stages: [{percent: 0}, {percent: 100}]", "spec.stages[0].percent", "must be more than 0 and at most 100, got 0")]
    [InlineData("  stages: [{percent: 1}, {percent: 150}, {percent: 100}]", "spec.stages[1].percent", "must be more than 0 and at most 100, got 150")]
    [InlineData("  stages: [{percent: 1}, {percent: 50}]", "spec.stages[1]", "the last stage must be percent: 100")]
    [InlineData("  stages: []", "spec.stages", "at least one stage is required")]
    [InlineData("  stages: [{percent: 1}, {canary: {matchLabels: {canary: \"true\"}}}, {percent: 100}]", "spec.stages[1].canary", "can only be the first stage")]
    [InlineData("  stages: [{canary: {matchLabels: {}}}, {percent: 100}]", "spec.stages[0].canary.matchLabels", "an empty selector would match every proxy")]
    [InlineData("  stages: [{percent: 1, bake: -5s}, {percent: 100}]", "spec.stages[0].bake", "must not be negative")]
    [InlineData("  selector: {kinds: [Sidecar]}\n  stages: [{percent: 100}]", "spec.selector.kinds[0]", "Sidecar changes cannot be rolled out in stages (kinds that can: VirtualService, DestinationRule)")]
    [InlineData("  selector: {names: [Reviews]}\n  stages: [{percent: 100}]", "spec.selector.names[0]", "")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {maxNacks: -1}", "spec.gates.maxNacks", "must be 0 or more, got -1")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {maxNackRatio: 1.5}", "spec.gates.maxNackRatio", "must be between 0 and 1")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {url: ftp://example.com/check}}", "spec.gates.health.url", "must be http or https, not ftp")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {url: /check}}", "spec.gates.health.url", "is not an absolute URL")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {url: http://h/c, interval: 2s, timeout: 5s}}", "spec.gates.health.timeout", "longer than the interval")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {url: http://h/c, interval: 0s}}", "spec.gates.health.interval", "must be positive")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {url: http://h/c, failureThreshold: 0}}", "spec.gates.health.failureThreshold", "must be 1 or more, got 0")]
    public void Rejects_Precisely(string spec, string field, string reason) =>
        YamlFixtures.SingleError(YamlFixtures.Validate(Policy(spec)), field, reason);

    [Theory]
    [InlineData("  stages: [{percent: 1}, {percent: 100}]\n  bake: soon", "spec.bake", "invalid duration 'soon'")]
    [InlineData("  stages: [{percent: lots}, {percent: 100}]", "spec.stages[0].percent", "expected a number, got 'lots'")]
    [InlineData("  stages: [{bake: 1s}, {percent: 100}]", "spec.stages[0]", "a stage needs percent")]
    [InlineData("  stages: [{percent: 1, canary: {matchLabels: {a: b}}}, {percent: 100}]", "spec.stages[0]", "either percent or canary, not both")]
    [InlineData("  stages: [{percent: 100}]\n  onConflict: Merge", "spec.onConflict", "expected one of Supersede, Queue, got 'Merge'")]
    [InlineData("  stages: [{percent: 100}]\n  promotion: Later", "spec.promotion", "expected one of Auto, Manual, got 'Later'")]
    [InlineData("  selector: {kinds: [Frobnicator]}\n  stages: [{percent: 100}]", "spec.selector.kinds[0]", "unknown kind 'Frobnicator'")]
    [InlineData("  stages: [{percent: 100}]\n  gates: {health: {interval: 5s}}", "spec.gates.health.url", "is required")]
    public void ParseErrors_NameTheField(string spec, string field, string reason)
    {
        var result = ManifestParser.Parse(Policy(spec), YamlFixtures.Source);
        Assert.Contains(result.Errors, e => e.Field == field && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void PercentWithSign_AndFractions_Parse()
    {
        var policy = YamlFixtures.ParseSingle<RolloutPolicy>(Policy("  stages: [{percent: 0.5%}, {percent: \"100\"}]"));
        Assert.Equal(0.5, policy.Stages[0].Percent);
        Assert.Empty(Mesh.Model.Validation.ConfigValidator.Validate(policy, YamlFixtures.Source));
    }
}
