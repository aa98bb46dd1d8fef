using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// One outbound cluster of a service: a port, optionally a DestinationRule subset (its labels and
/// effective load-balancer policy). Clusters and load assignments are built from the same specs, so
/// their names always agree.
/// </summary>
internal sealed record OutboundClusterSpec(
    string Name,
    MeshServicePort Port,
    string? Subset,
    ImmutableSortedDictionary<string, string> Labels,
    LoadBalancerKind LoadBalancer)
{
    /// <summary>Specs of a service: ports by number, then subsets by name; the first of duplicate port numbers or subset names wins.</summary>
    public static ImmutableArray<OutboundClusterSpec> For(ServiceTranslationInput input)
    {
        var host = input.Service.Hostname;
        var rule = input.DestinationRule;
        var topPolicy = Effective(rule?.TrafficPolicy?.LoadBalancer, LoadBalancerKind.RoundRobin);
        var subsets = rule is null || rule.Subsets.IsDefaultOrEmpty
            ? []
            : rule.Subsets.DistinctBy(s => s.Name, StringComparer.Ordinal).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var ports = input.Service.Ports.IsDefault ? [] : input.Service.Ports;

        var specs = ImmutableArray.CreateBuilder<OutboundClusterSpec>();
        foreach (var port in ports.DistinctBy(p => p.Port).OrderBy(p => p.Port))
        {
            specs.Add(new(ResourceNames.OutboundCluster(port.Port, null, host), port, null,
                ImmutableSortedDictionary<string, string>.Empty, topPolicy));
            foreach (var subset in subsets)
            {
                specs.Add(new(ResourceNames.OutboundCluster(port.Port, subset.Name, host), port, subset.Name,
                    subset.Labels, Effective(subset.TrafficPolicy?.LoadBalancer, topPolicy)));
            }
        }
        return specs.ToImmutable();
    }

    private static LoadBalancerKind Effective(LoadBalancerKind? kind, LoadBalancerKind fallback) =>
        kind is null or LoadBalancerKind.Unspecified ? fallback : kind.Value;
}
