using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>
/// ServiceFence rules: the name is a Service name (the fenced service, Slime's convention), hosts
/// are FQDNs or <c>namespace/*</c>, a deadline has a time, selectors hold valid labels and
/// namespace names. A host that names no service is valid (it may appear later; it is shown as
/// unresolved).
/// </summary>
internal static class ServiceFenceValidator
{
    public static void Validate(ServiceFence fence, ValidationContext context)
    {
        context.Check("metadata.name", NameRules.Dns1035Label(fence.Meta.Name) is { } nameError
            ? $"{nameError} (a ServiceFence is named after the Service whose workloads it fences)"
            : null);
        foreach (var (host, policy) in fence.Hosts)
        {
            var field = $"spec.host.{host}";
            context.Check(field, FenceHost(host));
            if (policy.Recycling == FenceRecycling.Deadline && policy.Expire is null)
            {
                context.Add(field + ".deadline.expire", "a deadline needs an expire time");
            }
            if (policy.Recycling == FenceRecycling.Auto && policy.Duration is not { Ticks: > 0 })
            {
                context.Add(field + ".auto.duration", "auto needs a positive duration");
            }
        }
        for (var i = 0; i < fence.NamespaceSelector.Length; i++)
        {
            context.Check($"spec.namespaceSelector[{i}]", NameRules.Dns1123Label(fence.NamespaceSelector[i]) is { } e
                ? $"{e} (namespaceSelector lists namespace names)"
                : null);
        }
        for (var i = 0; i < fence.LabelSelector.Length; i++)
        {
            var field = $"spec.labelSelector[{i}].selector";
            if (fence.LabelSelector[i].Count == 0)
            {
                context.Add(field, "a selector needs at least one label (an empty one would admit every service)");
            }
            NameRules.Labels(context, field, fence.LabelSelector[i]);
        }
        if (fence.WorkloadSelector is { } workloads)
        {
            NameRules.Labels(context, "spec.workloadSelector.labels", workloads.Labels);
        }
    }

    /// <summary>Null when <paramref name="host"/> is an FQDN (no wildcard) or <c>namespace/*</c>, Slime's two forms.</summary>
    public static string? FenceHost(string host)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var ns = host[..slash];
            if (host[(slash + 1)..] != "*")
            {
                return $"host '{host}': the namespace form is 'namespace/*'; name one service by its FQDN instead";
            }
            return NameRules.Dns1123Label(ns) is { } nsError ? $"host '{host}': {nsError}" : null;
        }
        if (host.Contains('*', StringComparison.Ordinal))
        {
            return $"host '{host}': wildcards are not allowed in a fence host; use 'namespace/*' for every service of a namespace";
        }
        if (!string.Equals(host, host.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return $"host '{host}' must be lowercase";
        }
        return HostRules.WildcardDomain(host);
    }
}
