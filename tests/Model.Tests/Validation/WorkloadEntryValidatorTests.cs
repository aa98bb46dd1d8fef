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

        YamlFixtures.SingleError(errors, "spec.address", "is required (it may be left out only when network is set)");
    }

    [Fact]
    public void Accepts_NoAddressWhenNetworkIsSet()
    {
        // Istio: "address is unset with network" is a warning; the workload is reached through that network's gateway.
        Assert.Empty(YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-1, namespace: bookinfo}
            spec:
              network: network-2
              labels: {app: details}
            """));
    }

    [Fact]
    public void Accepts_UnixSocketAddress()
    {
        Assert.Empty(YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: local, namespace: bookinfo}
            spec:
              address: unix:///var/run/details.sock
            """));
    }

    [Fact]
    public void Rejects_UnixSocketAddressWithPorts()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: local, namespace: bookinfo}
            spec:
              address: unix:///var/run/details.sock
              ports: {http: 9080}
            """);

        YamlFixtures.SingleError(errors, "spec.ports", "a unix:// endpoint must not have ports");
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
