using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class EndpointSliceValidatorTests
{
    private static string Slice(string labels, string addressType, string address) => $"""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: reviews-1
          namespace: bookinfo
          labels: {labels}
        addressType: {addressType}
        ports: [{"{"}name: http, port: 9080{"}"}]
        endpoints:
        - addresses: ["{address}"]
        """;

    [Theory]
    [InlineData("IPv4", "10.10.2.21")]
    [InlineData("IPv6", "fd00::21")]
    [InlineData("FQDN", "reviews.example.com")]
    public void Accepts_AddressMatchingType(string addressType, string address)
    {
        Assert.Empty(YamlFixtures.Validate(Slice("{kubernetes.io/service-name: reviews}", addressType, address)));
    }

    [Fact]
    public void Rejects_MissingServiceNameLabel()
    {
        var errors = YamlFixtures.Validate(Slice("{app: reviews}", "IPv4", "10.10.2.21"));

        YamlFixtures.SingleError(errors, "metadata.labels.kubernetes.io/service-name", "is required");
    }

    [Fact]
    public void Rejects_UnknownAddressType()
    {
        var errors = YamlFixtures.Validate(Slice("{kubernetes.io/service-name: reviews}", "IPX", "10.10.2.21"));

        YamlFixtures.SingleError(errors, "addressType", "unknown addressType 'IPX', expected IPv4, IPv6 or FQDN");
    }

    [Theory]
    [InlineData("IPv4", "fd00::21")]
    [InlineData("IPv4", "10.10.2")]
    [InlineData("IPv6", "10.10.2.21")]
    public void Rejects_AddressNotMatchingType(string addressType, string address)
    {
        var errors = YamlFixtures.Validate(Slice("{kubernetes.io/service-name: reviews}", addressType, address));

        YamlFixtures.SingleError(errors, "endpoints[0].addresses[0]", $"'{address}' is not a valid {addressType} address");
    }
}
