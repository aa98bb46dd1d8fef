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
