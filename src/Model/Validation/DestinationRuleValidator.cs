using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>DestinationRule rules: host, subsets with unique DNS-1123 names and non-empty labels, and every traffic policy.</summary>
internal static class DestinationRuleValidator
{
    public static void Validate(DestinationRule rule, ValidationContext context)
    {
        if (rule.Host.Length == 0)
        {
            context.Add("spec.host", "is required");
        }
        else
        {
            context.Check("spec.host", HostRules.WildcardDomain(rule.Host));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rule.Subsets.Length; i++)
        {
            var subset = rule.Subsets[i];
            var field = $"spec.subsets[{i}]";
            if (subset.Name.Length == 0)
            {
                context.Add(field + ".name", "is required");
            }
            else if (NameRules.Dns1123Label(subset.Name) is { } reason)
            {
                context.Add(field + ".name", reason);
            }
            else if (!names.Add(subset.Name))
            {
                context.Add(field + ".name", $"duplicate subset name '{subset.Name}'");
            }
            if (subset.Labels.IsEmpty)
            {
                context.Add(field + ".labels", "subset labels must not be empty");
            }
            NameRules.Labels(context, field + ".labels", subset.Labels);
            if (subset.TrafficPolicy is { } own)
            {
                TrafficPolicyRules.Validate(own, field + ".trafficPolicy", context);
            }
        }
        if (rule.TrafficPolicy is { } top)
        {
            TrafficPolicyRules.Validate(top, "spec.trafficPolicy", context);
        }
    }
}
