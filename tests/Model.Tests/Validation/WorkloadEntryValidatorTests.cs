using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class WorkloadEntryValidatorTests
{
    [Fact]
    public void Rejects_MissingAddress()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-1, namespace: bookinfo}
            spec:
              labels: {app: details}
            """);

        YamlFixtures.SingleError(errors, "spec.address", "is required");
    }

    [Fact]
    public void Rejects_PortOutOfRange()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-1, namespace: bookinfo}
            spec:
              address: 10.20.0.7
              ports: {http: 0}
            """);

        YamlFixtures.SingleError(errors, "spec.ports.http", "port number 0 is out of range 1..65535");
    }
}
