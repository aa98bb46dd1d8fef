using Mesh.Model.Config.Parsing;
using Mesh.Model.Validation;

namespace Mesh.Model.Tests.Validation;

public sealed class ConfigValidatorTests
{
    [Fact]
    public void Validate_ParseResult_DropsOnlyInvalidObjectsAndKeepsTheirSources()
    {
        var parsed = ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec: {host: reviews}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings, namespace: bookinfo}
            spec: {host: ""}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: details, namespace: bookinfo}
            spec: {host: details}
            """, "dr.yaml");

        var validated = ConfigValidator.Validate(parsed);

        Assert.Equal(["reviews", "details"], validated.Objects.Select(o => o.Meta.Name));
        Assert.Equal(["dr.yaml#1 (line 1)", "dr.yaml#3 (line 11)"], validated.Sources.ToArray());
        var error = Assert.Single(validated.Errors);
        Assert.Equal("DestinationRule bookinfo/ratings (dr.yaml#2 (line 6)): spec.host: is required", error.ToString());
    }
}
