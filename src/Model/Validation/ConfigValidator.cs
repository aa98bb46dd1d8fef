using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;

namespace Mesh.Model.Validation;

/// <summary>
/// Validates config objects as Istio's <c>pkg/config/validation</c> does. Pure: returns every error
/// (object, field path and reason), never throws on bad input, and an empty array means valid.
/// </summary>
public static class ConfigValidator
{
    public static ImmutableArray<ConfigError> Validate(ConfigObject obj, string source)
    {
        var context = new ValidationContext(obj, source);
        MetadataValidator.Validate(obj, context);
        switch (obj)
        {
            case KubeService service:
                KubeServiceValidator.Validate(service, context);
                break;
            case EndpointSlice slice:
                EndpointSliceValidator.Validate(slice, context);
                break;
            case Pod pod:
                PodValidator.Validate(pod, context);
                break;
            case ServiceEntry entry:
                ServiceEntryValidator.Validate(entry, context);
                break;
            case WorkloadEntry entry:
                WorkloadEntryValidator.Validate(entry.Spec, "spec", context);
                break;
            case VirtualService virtualService:
                VirtualServiceValidator.Validate(virtualService, context);
                break;
            case DestinationRule rule:
                DestinationRuleValidator.Validate(rule, context);
                break;
            case Sidecar sidecar:
                SidecarValidator.Validate(sidecar, context);
                break;
            case Gateway gateway:
                GatewayValidator.Validate(gateway, context);
                break;
            case ServiceFence fence:
                ServiceFenceValidator.Validate(fence, context);
                break;
            case RolloutPolicy policy:
                RolloutPolicyValidator.Validate(policy, context);
                break;
        }
        return context.ToImmutable();
    }

    /// <summary>
    /// Validates every parsed object and drops the invalid ones, each alone: the result holds the valid
    /// objects, and the parse errors followed by the validation errors.
    /// </summary>
    public static ManifestParseResult Validate(ManifestParseResult parsed)
    {
        var objects = ImmutableArray.CreateBuilder<ConfigObject>(parsed.Objects.Length);
        var sources = ImmutableArray.CreateBuilder<string>(parsed.Objects.Length);
        var errors = parsed.Errors.ToBuilder();
        for (var i = 0; i < parsed.Objects.Length; i++)
        {
            var objectErrors = Validate(parsed.Objects[i], parsed.Sources[i]);
            if (objectErrors.IsEmpty)
            {
                objects.Add(parsed.Objects[i]);
                sources.Add(parsed.Sources[i]);
            }
            errors.AddRange(objectErrors);
        }
        return new ManifestParseResult(objects.ToImmutable(), sources.ToImmutable(), errors.ToImmutable());
    }
}
