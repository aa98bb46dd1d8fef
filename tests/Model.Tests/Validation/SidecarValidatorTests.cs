using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class SidecarValidatorTests
{
    private static string Sidecar(string hosts) => $"""
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {"{"}name: default, namespace: bookinfo{"}"}
        spec:
          egress:
          - hosts: {hosts}
        """;

    [Theory]
    [InlineData("*/*")]
    [InlineData("./*")]
    [InlineData("istio-system/*")]
    [InlineData("bookinfo/reviews.bookinfo.svc.cluster.local")]
    [InlineData("*/*.example.com")]
    public void Accepts_NamespaceSlashHost(string host)
    {
        Assert.Empty(YamlFixtures.Validate(Sidecar($"[\"{host}\"]")));
    }

    [Theory]
    [InlineData("reviews")]
    [InlineData("/reviews")]
    [InlineData("a/b/c")]
    [InlineData("Bad_NS/*")]
    [InlineData("./rev*ews")]
    public void Rejects_HostNotInNamespaceSlashHostForm(string host)
    {
        var error = Assert.Single(YamlFixtures.Validate(Sidecar($"[\"{host}\"]")));

        Assert.Equal("spec.egress[0].hosts[0]", error.Field);
        Assert.StartsWith($"host '{host}'", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_EgressWithoutHosts()
    {
        YamlFixtures.SingleError(YamlFixtures.Validate(Sidecar("[]")), "spec.egress[0].hosts", "at least one host is required");
    }

    [Fact]
    public void Rejects_SecondCatchAllEgressListener()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: bookinfo}
            spec:
              egress:
              - hosts: ["./*"]
              - port: {number: 0}
                hosts: ["istio-system/*"]
              - hosts: ["*/*"]
            """);

        Assert.Equal(
            [("spec.egress[1].port.number", "port number 0 is out of range 1..65535"), ("spec.egress[2]", "only one egress listener may omit port (the catch-all listener)")],
            errors.Select(e => (e.Field, e.Reason)));
    }
}
