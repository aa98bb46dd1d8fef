using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class PodValidatorTests
{
    [Fact]
    public void Rejects_InvalidPodIpAndLabel()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: reviews-v1
              namespace: bookinfo
              labels: {app: "-reviews"}
            status: {podIP: 10.10.300.1}
            """);

        Assert.Equal(["metadata.labels.app", "status.podIP"], errors.Select(e => e.Field));
        Assert.StartsWith("invalid label value '-reviews'", errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal("'10.10.300.1' is not a valid IP address", errors[1].Reason);
    }

    [Fact]
    public void Rejects_NamespaceNameThatIsNotDns1123Label()
    {
        var errors = YamlFixtures.Validate("apiVersion: v1\nkind: Namespace\nmetadata: {name: book.info}\n");

        YamlFixtures.SingleError(errors, "metadata.name", "'book.info' is not a valid DNS-1123 label");
    }
}
