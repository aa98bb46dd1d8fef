using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway;

/// <summary>Validates <see cref="XdsGatewayOptions"/> at start, collecting every failure with how to fix it.</summary>
public sealed class XdsGatewayOptionsValidator : IValidateOptions<XdsGatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, XdsGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RequestQueueCapacity < 1)
        {
            failures.Add($"{XdsGatewayOptions.SectionName}:{nameof(options.RequestQueueCapacity)} is {options.RequestQueueCapacity}; set it to 1 or more (default 16).");
        }

        if (options.MaxResourceNamesPerRequest < 1)
        {
            failures.Add($"{XdsGatewayOptions.SectionName}:{nameof(options.MaxResourceNamesPerRequest)} is {options.MaxResourceNamesPerRequest}; set it to 1 or more (default 100000).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
