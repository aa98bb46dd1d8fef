using System.Globalization;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Rejects discovery selectors that are not label-selector syntax, quoting the parser's reason, and an
/// informer page cap below 1; collects every failure.
/// </summary>
internal sealed class KubernetesSourceOptionsValidator : IValidateOptions<KubernetesSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesSourceOptions options)
    {
        var failures = new List<string>();
        try
        {
            NamespaceSelector.Parse(options.DiscoverySelectors);
        }
        catch (FormatException ex)
        {
            failures.Add("Kubernetes:DiscoverySelectors: " + ex.Message);
        }
        if (options.Informer.MaxListPages < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{KubeListPager.MaxListPagesKnob} is '{options.Informer.MaxListPages}'; set it to 1 or more (default 10000): it caps the pages of one list, so a server whose continue tokens never end fails the list instead of being listed forever."));
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
