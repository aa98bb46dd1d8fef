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
    public void Rejects_MissingHosts()
    {
        var errors = YamlFixtures.Validate(Se("  resolution: DNS"));

        YamlFixtures.SingleError(errors, "spec.hosts", "at least one host is required");
    }

    [Theory]
    [InlineData("NONE")]
    [InlineData("STATIC")]
    [InlineData("DNS")]
    public void Accepts_NoPorts(string resolution)
    {
        // Istio's ServiceEntry.ports is optional (service_entry.proto: no REQUIRED, no MinItems; validation.go
        // never checks its length): the hosts are known, and no port means no listener or cluster.
        Assert.Empty(YamlFixtures.Validate(Se($"""
              hosts: [api.example.com]
              resolution: {resolution}
            """)));
    }

    [Fact]
    public void Accepts_PortWithoutProtocol()
    {
        // ValidateProtocol: "Empty string is used for protocol sniffing."
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              addresses: [240.0.0.10]
              ports: [{number: 8080, name: web}]
              resolution: DNS
            """)));
    }

    [Fact]
    public void Rejects_PortWithoutName()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports: [{number: 8080}]
              resolution: DNS
            """));

        YamlFixtures.SingleError(errors, "spec.ports[0].name", "is required");
    }

    [Theory]
    [InlineData("TCP", "protocol TCP")]
    [InlineData("MONGO", "protocol MONGO")]
    [InlineData("", "no protocol")]
    public void Rejects_MultipleHostsWithPortThatIsNeitherHttpNorTls(string protocol, string described)
    {
        var errors = YamlFixtures.Validate(Se($"""
              hosts: [a.example.com, b.example.com]
              ports:
              - {"{"}number: 443, protocol: TLS, name: tls{"}"}
              - {"{"}number: 5432, protocol: "{protocol}", name: db{"}"}
              resolution: DNS
            """));

        YamlFixtures.SingleError(errors, "spec.ports[1].protocol",
            $"port 5432 has {described}: with 2 hosts and resolution DNS every port must be HTTP or TLS, because plain TCP cannot tell the hosts apart");
    }

    [Fact]
    public void Accepts_MultipleHostsWithTcpPortWhenResolutionIsNone()
    {
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [a.example.com, b.example.com]
              ports: [{number: 5432, protocol: TCP, name: db}]
              resolution: NONE
            """)));
    }

    [Fact]
    public void Accepts_StaticEndpointWithNetworkAndNoAddress()
    {
        // Istio warns ("address is unset with network") and accepts: the endpoint is reached through that network's gateway.
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports: [{number: 443, protocol: HTTPS, name: https}]
              resolution: STATIC
              endpoints: [{network: network-2}]
            """)));
    }

    [Theory]
    [InlineData("DNS")]
    [InlineData("DNS_ROUND_ROBIN")]
    public void Rejects_DnsEndpointWithNetworkAndNoAddress(string resolution)
    {
        var errors = YamlFixtures.Validate(Se($"""
              hosts: [api.example.com]
              ports: [{"{"}number: 443, protocol: HTTPS, name: https{"}"}]
              resolution: {resolution}
              endpoints: [{"{"}network: network-2{"}"}]
            """));

        YamlFixtures.SingleError(errors, "spec.endpoints[0].address", $"is required when resolution is {resolution}: the endpoint's address is what is resolved");
    }

    [Fact]
    public void Rejects_EndpointWithNeitherAddressNorNetwork()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [api.example.com]
              ports: [{number: 443, protocol: HTTPS, name: https}]
              resolution: STATIC
              endpoints: [{labels: {app: api}}]
            """));

        YamlFixtures.SingleError(errors, "spec.endpoints[0].address", "is required (it may be left out only when network is set)");
    }

    [Fact]
    public void Accepts_StaticUnixEndpointWithOnePort()
    {
        Assert.Empty(YamlFixtures.Validate(Se("""
              hosts: [uds.example.com]
              ports: [{number: 6553, protocol: GRPC, name: grpc}]
              resolution: STATIC
              endpoints: [{address: "unix:///var/run/app.sock"}]
            """)));
    }

    [Theory]
    [InlineData("[]", 0)]
    [InlineData("[{number: 6553, protocol: GRPC, name: grpc}, {number: 80, protocol: HTTP, name: http}]", 2)]
    public void Rejects_StaticUnixEndpointWithoutExactlyOnePort(string ports, int count)
    {
        var errors = YamlFixtures.Validate(Se($"""
              hosts: [uds.example.com]
              ports: {ports}
              resolution: STATIC
              endpoints: [{"{"}address: "unix:///var/run/app.sock"{"}"}]
            """));

        YamlFixtures.SingleError(errors, "spec.endpoints[0].address", $"a unix:// endpoint needs exactly one port in spec.ports, found {count}");
    }

    [Fact]
    public void Rejects_UnixEndpointWithPortsOrRelativePath()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [uds.example.com]
              ports: [{number: 6553, protocol: GRPC, name: grpc}]
              resolution: STATIC
              endpoints:
              - {address: "unix:///var/run/app.sock", ports: {grpc: 6553}}
              - {address: "unix://./relative.sock"}
            """));

        Assert.Equal(
            [
                ("spec.endpoints[0].ports", "a unix:// endpoint must not have ports"),
                ("spec.endpoints[1].address", "'./relative.sock' is not an absolute path to a socket file (or an @abstract socket name)"),
            ],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Rejects_UnixEndpointWithDnsResolution()
    {
        var errors = YamlFixtures.Validate(Se("""
              hosts: [uds.example.com]
              ports: [{number: 6553, protocol: GRPC, name: grpc}]
              resolution: DNS
              endpoints: [{address: "unix:///var/run/app.sock"}]
            """));

        YamlFixtures.SingleError(errors, "spec.endpoints[0].address", "a unix:// socket cannot be resolved with DNS; use resolution STATIC");
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
