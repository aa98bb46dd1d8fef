using System.Collections.Immutable;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// One outbound cluster of a service: a port, optionally a DestinationRule subset (its labels and
/// effective traffic policy). Clusters and load assignments are built from the same specs, so
/// their names always agree.
/// </summary>
internal sealed record OutboundClusterSpec(
    string Name,
    MeshServicePort Port,
    string? Subset,
    ImmutableSortedDictionary<string, string> Labels,
    ClusterPolicy Policy)
{
    /// <summary>Specs of a service: ports by number, then subsets by name; the first of duplicate port numbers or subset names wins.</summary>
    public static ImmutableArray<OutboundClusterSpec> For(ServiceTranslationInput input)
    {
        var host = input.Service.Hostname;
        var rule = input.DestinationRule;
        var subsets = rule is null || rule.Subsets.IsDefaultOrEmpty
            ? []
            : rule.Subsets.DistinctBy(s => s.Name, StringComparer.Ordinal).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var ports = input.Service.Ports.IsDefault ? [] : input.Service.Ports;

        var specs = ImmutableArray.CreateBuilder<OutboundClusterSpec>();
        foreach (var port in ports.DistinctBy(p => p.Port).OrderBy(p => p.Port))
        {
            specs.Add(new(ResourceNames.OutboundCluster(port.Port, null, host), port, null,
                ImmutableSortedDictionary<string, string>.Empty, ClusterPolicy.For(rule, null, port.Port)));
            foreach (var subset in subsets)
            {
                specs.Add(new(ResourceNames.OutboundCluster(port.Port, subset.Name, host), port, subset.Name,
                    subset.Labels, ClusterPolicy.For(rule, subset, port.Port)));
            }
        }
        return specs.ToImmutable();
    }
}
