using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes;

/// <summary>Rejects discovery selectors that are not label-selector syntax, quoting the parser's reason.</summary>
internal sealed class KubernetesSourceOptionsValidator : IValidateOptions<KubernetesSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesSourceOptions options)
    {
        try
        {
            NamespaceSelector.Parse(options.DiscoverySelectors);
            return ValidateOptionsResult.Success;
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail("Kubernetes:DiscoverySelectors: " + ex.Message);
        }
    }
}
