using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class KubeServiceValidatorTests
{
    [Fact]
    public void Rejects_DuplicatePortNamesAndBadNumbers()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              ports:
              - {name: http, port: 9080, targetPort: 70000}
              - {name: http, port: 0}
              - {port: 9090}
            """);

        Assert.Equal(
            [
                ("spec.ports[0].targetPort", "port number 70000 is out of range 1..65535"),
                ("spec.ports[1].port", "port number 0 is out of range 1..65535"),
                ("spec.ports[1].name", "duplicate port name 'http'"),
                ("spec.ports[2].name", "is required when a service has more than one port"),
            ],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Accepts_SingleUnnamedPortWithNamedTarget()
    {
        Assert.Empty(YamlFixtures.Validate("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              ports: [{port: 9080, targetPort: http-web}]
            """));
    }

    [Fact]
    public void Rejects_NameThatIsNotDns1035Label()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: v1
            kind: Service
            metadata: {name: 9reviews, namespace: bookinfo}
            spec:
              ports: [{port: 9080}]
            """);

        YamlFixtures.SingleError(errors, "metadata.name", "'9reviews' is not a valid DNS-1035 label");
    }

    [Fact]
    public void Accepts_PortWithoutProtocolAppProtocolOrNamePrefix()
    {
        // Istio: no appProtocol and no known name prefix leave the protocol unset (sniffed); Mesh serves it as TCP.
        Assert.Empty(YamlFixtures.Validate("""
            apiVersion: v1
            kind: Service
            metadata: {name: legacy, namespace: bookinfo}
            spec:
              ports: [{name: web, port: 8080}, {name: admin, port: 8081, protocol: TCP}]
            """));
    }
}
