using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class GatewayValidatorTests
{
    private static string Gw(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {"{"}name: ingress, namespace: bookinfo{"}"}
        spec:
        {spec}
        """;

    [Fact]
    public void Accepts_EmptySelector()
    {
        Assert.Empty(YamlFixtures.Validate(Gw("""
              servers:
              - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}
            """)));
    }

    [Fact]
    public void Rejects_NoServers()
    {
        YamlFixtures.SingleError(YamlFixtures.Validate(Gw("  selector: {istio: ingressgateway}")), "spec.servers", "at least one server is required");
    }

    [Fact]
    public void Rejects_InvalidPortAndMissingHosts()
    {
        var errors = YamlFixtures.Validate(Gw("""
              servers:
              - {port: {number: 99999, name: http, protocol: HTTP}}
            """));

        Assert.Equal(
            [("spec.servers[0].port.number", "port number 99999 is out of range 1..65535"), ("spec.servers[0].hosts", "at least one host is required")],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Rejects_PortWithoutProtocol()
    {
        // Istio's validateServerPort: protocol.Parse("") is Unsupported, so a Gateway server needs one (no sniffing here).
        var errors = YamlFixtures.Validate(Gw("""
              servers:
              - {port: {number: 8080, name: web}, hosts: ["*"]}
            """));

        YamlFixtures.SingleError(errors, "spec.servers[0].port.protocol", "is required for a Gateway server");
    }
}
