using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

/// <summary>Slime's ServiceFence, as Slime's docs write it, in both of its API groups.</summary>
public sealed class ServiceFenceValidatorTests
{
    private static string Fence(string spec, string name = "productpage", string group = "microservice.slime.io") => $"""
        apiVersion: {group}/v1alpha1
        kind: ServiceFence
        metadata: {"{"}name: {name}, namespace: default{"}"}
        spec:
        {spec}
        """;

    [Theory]
    [InlineData("microservice.slime.io")]
    [InlineData("microservice.netease.com")]
    public void Parses_EveryField_InEitherApiGroup(string group)
    {
        var fence = YamlFixtures.ParseSingle<ServiceFence>($"""
            apiVersion: {group}/v1alpha1
            kind: ServiceFence
            metadata: {"{"}name: productpage, namespace: default{"}"}
            spec:
              enable: true
              host:
                reviews.default.svc.cluster.local:
                  stable:
                test/*: {"{}"}
                ratings.default.svc.cluster.local:
                  deadline:
                    expire:
                      seconds: 1893456000
                      nanos: 500000000
                details.default.svc.cluster.local:
                  RecentlyCalled:
                    seconds: 1700000000
                legacy.default.svc.cluster.local:
                  auto:
                    duration:
                      seconds: 600
              namespaceSelector: [foo, bar]
              labelSelector:
              - selector: {"{"}project: back{"}"}
              - selector: {"{"}project: front, group: web{"}"}
              workloadSelector:
                labels: {"{"}group: foo, zone: hz{"}"}
                fromService: false
            """);

        Assert.Equal($"{group}/v1alpha1", fence.ApiVersion);
        Assert.Equal(ConfigKind.ServiceFence, fence.Kind);
        Assert.True(fence.Enable);
        Assert.Equal(FenceRecycling.Stable, fence.Hosts["reviews.default.svc.cluster.local"].Recycling);
        Assert.Equal(FenceRecycling.Unspecified, fence.Hosts["test/*"].Recycling);
        Assert.True(fence.Hosts["test/*"].IsStatic);
        var deadline = fence.Hosts["ratings.default.svc.cluster.local"];
        Assert.Equal(FenceRecycling.Deadline, deadline.Recycling);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(500), deadline.Expire);
        Assert.False(deadline.IsStatic);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), fence.Hosts["details.default.svc.cluster.local"].LastCalled);
        Assert.Equal(FenceRecycling.RecentlyCalled, fence.Hosts["details.default.svc.cluster.local"].Recycling);
        Assert.Equal(TimeSpan.FromMinutes(10), fence.Hosts["legacy.default.svc.cluster.local"].Duration);
        Assert.Equal(["foo", "bar"], fence.NamespaceSelector.AsEnumerable());
        Assert.Equal(2, fence.LabelSelector.Length);
        Assert.Equal("web", fence.LabelSelector[1]["group"]);
        Assert.False(fence.WorkloadSelector!.FromService);
        Assert.Equal("hz", fence.WorkloadSelector.Labels["zone"]);
        Assert.Empty(Mesh.Model.Validation.ConfigValidator.Validate(fence, YamlFixtures.Source));
    }

    [Fact]
    public void Parses_SlimesMinimalFence_AsEnabledWithNothingStatic()
    {
        // Slime's own sample (install/samples/lazyload/servicefence_productpage.yaml) is just this.
        var fence = YamlFixtures.ParseSingle<ServiceFence>(Fence("  enable: true"));

        Assert.True(fence.Enable);
        Assert.Empty(fence.Hosts);
        Assert.Null(fence.WorkloadSelector);
        Assert.Empty(YamlFixtures.Validate(Fence("  enable: true")));
    }

    [Fact]
    public void Parses_DeadlineAsRfc3339_AndLowercaseRecentlyCalledWithoutATime()
    {
        var fence = YamlFixtures.ParseSingle<ServiceFence>(Fence("""
              host:
                a.default.svc.cluster.local: {deadline: {expire: "2030-01-01T00:00:00Z"}}
                b.default.svc.cluster.local: {recentlyCalled: {}}
            """));

        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), fence.Hosts["a.default.svc.cluster.local"].Expire);
        Assert.Equal(FenceRecycling.RecentlyCalled, fence.Hosts["b.default.svc.cluster.local"].Recycling);
        Assert.Null(fence.Hosts["b.default.svc.cluster.local"].LastCalled);
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.local")]
    [InlineData("reviews")]
    [InlineData("test/*")]
    [InlineData("api.example.com")]
    public void Accepts_FenceHost(string host)
    {
        Assert.Empty(YamlFixtures.Validate(Fence($"  host: {{\"{host}\": {{stable: {{}}}}}}")));
    }

    [Theory]
    [InlineData("*.example.com", "wildcards are not allowed")]
    [InlineData("test/reviews", "the namespace form is 'namespace/*'")]
    [InlineData("Bad_NS/*", "not a valid DNS-1123 label")]
    [InlineData("Reviews.default.svc.cluster.local", "must be lowercase")]
    [InlineData("rev_iews.default", "is not a valid DNS name")]
    public void Rejects_BadFenceHost_NamingTheHost(string host, string reason)
    {
        var error = YamlFixtures.SingleError(YamlFixtures.Validate(Fence($"  host: {{\"{host}\": {{stable: {{}}}}}}")), $"spec.host.{host}", reason);

        Assert.Contains(host, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_TwoStrategiesForOneHost()
    {
        var result = ManifestParser.Parse(Fence("""
              host:
                a.default.svc.cluster.local: {stable: {}, deadline: {expire: {seconds: 1893456000}}}
            """), YamlFixtures.Source);

        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.host.a.default.svc.cluster.local", error.Field);
        Assert.Contains("at most one of stable, deadline, auto and RecentlyCalled", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{deadline: {}}", "spec.host.a.default.svc.cluster.local.deadline.expire", "a time ({seconds: N, nanos: N} or RFC 3339) is required")]
    [InlineData("{deadline: {expire: {seconds: 1, nanos: 1000000000}}}", "spec.host.a.default.svc.cluster.local.deadline.expire.nanos", "nanos must be 0 to 999999999")]
    [InlineData("{deadline: {expire: soon}}", "spec.host.a.default.svc.cluster.local.deadline.expire", "expected {seconds: N, nanos: N} or an RFC 3339 time, got 'soon'")]
    [InlineData("{deadline: {expire: {seconds: ten}}}", "spec.host.a.default.svc.cluster.local.deadline.expire.seconds", "expected an integer, got 'ten'")]
    public void Rejects_MalformedTimes_AtTheirField(string strategy, string field, string reason)
    {
        var result = ManifestParser.Parse(Fence($"  host: {{a.default.svc.cluster.local: {strategy}}}"), YamlFixtures.Source);

        Assert.Contains(result.Errors, e => e.Field == field && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Rejects_NameThatCannotBeAService()
    {
        YamlFixtures.SingleError(YamlFixtures.Validate(Fence("  enable: true", name: "9lives")), "metadata.name", "named after the Service whose workloads it fences");
    }

    [Fact]
    public void Rejects_EmptyLabelSelector_BadLabelsAndNamespaceNames()
    {
        var errors = YamlFixtures.Validate(Fence("""
              namespaceSelector: [ok, Not_A_Namespace]
              labelSelector:
              - selector: {}
              - selector: {"bad key!": x}
              workloadSelector:
                labels: {zone: "not valid!"}
            """));

        Assert.Contains(errors, e => e.Field == "spec.namespaceSelector[1]" && e.Reason.Contains("namespaceSelector lists namespace names", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "spec.labelSelector[0].selector" && e.Reason.Contains("would admit every service", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "spec.labelSelector[1].selector.bad key!");
        Assert.Contains(errors, e => e.Field.StartsWith("spec.workloadSelector.labels", StringComparison.Ordinal));
        Assert.Equal(4, errors.Length);
    }

    [Fact]
    public void UnknownApiVersion_ListsBothSlimeGroups()
    {
        var result = ManifestParser.Parse(Fence("  enable: true", group: "microservice.example.com"), YamlFixtures.Source);

        var error = Assert.Single(result.Errors);
        Assert.Contains("microservice.netease.com/v1alpha1", error.Reason, StringComparison.Ordinal);
        Assert.Contains("microservice.slime.io/v1alpha1", error.Reason, StringComparison.Ordinal);
    }
}
