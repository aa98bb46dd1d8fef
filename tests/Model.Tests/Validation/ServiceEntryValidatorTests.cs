using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class ServiceEntryValidatorTests
{
    private static string Se(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{"}name: external, namespace: bookinfo{"}"}
        spec:
        {spec}
        """;

    [Fact]
    public void Validate_StaticWithEndpoints_HasNoErrors()
    {
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [db.example.com]
              ports: [{number: 5432, protocol: TCP, name: tcp}]
              resolution: STATIC
              endpoints:
              - {address: 192.168.1.5, ports: {tcp: 15432}}
            """)));
    }

    [Fact]
    public void Accepts_StaticWithoutEndpointsOrSelector()
    {
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [db.example.com]
              ports: [{number: 5432, protocol: TCP, name: tcp}]
              resolution: STATIC
            """)));
    }

    [Fact]
    public void Rejects_MissingHostsAndPorts()
    {
        var errors = YamlFixtures.Validate(Se("  resolution: DNS"));

        Assert.Equal(
            [("spec.hosts", "at least one host is required"), ("spec.ports", "at least one port is required")],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Rejects_DuplicatePortNumberAndUnknownProtocol()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports:
              - {number: 443, protocol: HTTPS, name: https}
              - {number: 443, protocol: QUIC, name: quic}
              resolution: DNS
            """));

        Assert.Equal(["spec.ports[1].number", "spec.ports[1].protocol"], errors.Select(e => e.Field));
        Assert.Equal("port number 443 is already used by another port", errors[0].Reason);
        Assert.StartsWith("unrecognized protocol 'QUIC'", errors[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_UnknownResolution()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports: [{number: 80, protocol: HTTP, name: http}]
              resolution: DYNAMIC
            """));

        YamlFixtures.SingleError(errors, "spec.resolution", "unknown resolution 'DYNAMIC', expected one of NONE, STATIC, DNS, DNS_ROUND_ROBIN");
    }

    [Fact]
    public void Rejects_StaticEndpointThatIsNotAnIp()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [db.example.com]
              ports: [{number: 5432, protocol: TCP, name: tcp}]
              resolution: STATIC
              endpoints: [{address: db-1.example.com}, {address: 10.1}]
            """));

        Assert.Equal(["spec.endpoints[0].address", "spec.endpoints[1].address"], errors.Select(e => e.Field));
        Assert.Equal("'db-1.example.com' is not a valid IP address (resolution STATIC needs IPs)", errors[0].Reason);
    }

    [Fact]
    public void Rejects_EndpointsWithWorkloadSelector()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [vm.internal]
              ports: [{number: 80, protocol: HTTP, name: http}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
              workloadSelector: {labels: {app: vm}}
            """));

        YamlFixtures.SingleError(errors, "spec.workloadSelector", "only one of endpoints or workloadSelector may be set");
    }

    [Fact]
    public void Rejects_EndpointPortNotDeclared()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [db.example.com]
              ports: [{number: 5432, protocol: TCP, name: tcp}]
              resolution: DNS
              endpoints: [{address: db.example.com, ports: {admin: 9000}}]
            """));

        YamlFixtures.SingleError(errors, "spec.endpoints[0].ports.admin", "port 'admin' is not defined in spec.ports");
    }

    [Fact]
    public void Rejects_PortNameThatIsNotDns1123Label()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports: [{number: 80, protocol: HTTP, name: HTTP_Web}]
              resolution: DNS
            """));

        YamlFixtures.SingleError(errors, "spec.ports[0].name", "'HTTP_Web' is not a valid DNS-1123 label");
    }
}
