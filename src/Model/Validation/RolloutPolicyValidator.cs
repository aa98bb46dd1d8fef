using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>
/// RolloutPolicy rules: it governs only kinds that can be rolled out in stages; stages grow
/// strictly, each percentage is in (0, 100], a canary label stage comes first, and the last stage
/// is 100% (a rollout ends with every proxy on the new config); bake times are not negative; the
/// gates' limits are in range and a health check is an absolute http(s) URL polled with a timeout
/// shorter than its interval.
/// </summary>
internal static class RolloutPolicyValidator
{
    public static void Validate(RolloutPolicy policy, ValidationContext context)
    {
        for (var i = 0; i < policy.Selector.Kinds.Length; i++)
        {
            var kind = policy.Selector.Kinds[i];
            if (!RolloutPolicy.GovernableKinds.Contains(kind))
            {
                context.Add($"spec.selector.kinds[{i}]", $"{kind} changes cannot be rolled out in stages (kinds that can: {string.Join(", ", RolloutPolicy.GovernableKinds)})");
            }
        }
        for (var i = 0; i < policy.Selector.Names.Length; i++)
        {
            context.Check($"spec.selector.names[{i}]", NameRules.Dns1123Subdomain(policy.Selector.Names[i]));
        }
        NameRules.Labels(context, "spec.selector.matchLabels", policy.Selector.MatchLabels);
        ValidateStages(policy, context);
        context.Check("spec.bake", NotNegative(policy.Bake));

        var gates = policy.Gates;
        if (gates.MaxNacks < 0)
        {
            context.Add("spec.gates.maxNacks", $"must be 0 or more, got {gates.MaxNacks}");
        }
        if (gates.MaxNackRatio is { } ratio && ratio is < 0 or > 1)
        {
            context.Add("spec.gates.maxNackRatio", $"must be between 0 and 1 (a share of the cohort's proxies), got {ratio}");
        }
        if (gates.Health is { } health)
        {
            context.Check("spec.gates.health.url", HealthUrl(health.Url));
            if (health.Interval <= TimeSpan.Zero)
            {
                context.Add("spec.gates.health.interval", $"must be positive, got {health.Interval}");
            }
            if (health.Timeout <= TimeSpan.Zero)
            {
                context.Add("spec.gates.health.timeout", $"must be positive, got {health.Timeout}");
            }
            else if (health.Interval > TimeSpan.Zero && health.Timeout > health.Interval)
            {
                context.Add("spec.gates.health.timeout", $"{health.Timeout.TotalSeconds}s is longer than the interval {health.Interval.TotalSeconds}s: one check would still run when the next is due");
            }
            if (health.FailureThreshold < 1)
            {
                context.Add("spec.gates.health.failureThreshold", $"must be 1 or more, got {health.FailureThreshold}");
            }
        }
    }

    private static void ValidateStages(RolloutPolicy policy, ValidationContext context)
    {
        if (policy.Stages.IsEmpty)
        {
            context.Add("spec.stages", "at least one stage is required, and the last one must be percent: 100");
            return;
        }
        double? previous = null;
        for (var i = 0; i < policy.Stages.Length; i++)
        {
            var stage = policy.Stages[i];
            var field = $"spec.stages[{i}]";
            context.Check(field + ".bake", stage.Bake is { } bake ? NotNegative(bake) : null);
            if (stage.CanaryLabels is { } labels)
            {
                if (i > 0)
                {
                    context.Add(field + ".canary", "a canary label stage can only be the first stage (the percentages that follow widen it)");
                }
                if (labels.Count == 0)
                {
                    context.Add(field + ".canary.matchLabels", "needs at least one label (an empty selector would match every proxy)");
                }
                NameRules.Labels(context, field + ".canary.matchLabels", labels);
                continue;
            }
            if (stage.Percent is not { } percent)
            {
                continue; // the reader reported it
            }
            if (percent is <= 0 or > 100)
            {
                context.Add(field + ".percent", $"must be more than 0 and at most 100, got {percent}");
                continue;
            }
            else if (previous is { } before && percent <= before)
            {
                context.Add(field + ".percent", $"stages must grow: {percent}% after {before}%");
            }
            previous = percent;
        }
        if (policy.Stages[^1] is { Percent: not 100 })
        {
            context.Add($"spec.stages[{policy.Stages.Length - 1}]", "the last stage must be percent: 100 (a rollout ends with every proxy on the new config)");
        }
    }

    private static string? NotNegative(TimeSpan value) => value < TimeSpan.Zero ? $"must not be negative, got {value}" : null;

    /// <summary>Null when <paramref name="url"/> is an absolute http or https URL with a host.</summary>
    public static string? HealthUrl(string url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "is required";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return $"'{url}' is not an absolute URL";
        }
        return uri.Scheme is "http" or "https" ? null : $"'{url}': the health check must be http or https, not {uri.Scheme}";
    }
}
