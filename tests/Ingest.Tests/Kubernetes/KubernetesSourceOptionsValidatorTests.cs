using Mesh.Ingest.Kubernetes;

namespace Mesh.Ingest.Tests.Kubernetes;

public sealed class KubernetesSourceOptionsValidatorTests
{
    private static readonly KubernetesSourceOptionsValidator Validator = new();

    [Fact]
    public void Defaults_AreValid()
    {
        var options = new KubernetesSourceOptions();

        Assert.True(Validator.Validate(null, options).Succeeded);
        Assert.Equal(10_000, options.Informer.MaxListPages);
    }

    [Fact]
    public void Rejects_EveryBadKnob_SayingHowToFixIt()
    {
        var options = new KubernetesSourceOptions { Informer = new KubeInformerOptions { MaxListPages = 0 } };
        options.DiscoverySelectors.Add("app in web");

        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Collection(result.Failures!,
            f => Assert.StartsWith("Kubernetes:DiscoverySelectors: ", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Kubernetes:Informer:MaxListPages is '0'; set it to 1 or more", f, StringComparison.Ordinal));
    }
}
