using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;

namespace Mesh.Ingest.Registry;

/// <summary>
/// What the grains should hold, computed from the full set of source objects: per service its
/// definition, endpoints and routing; per namespace its config; and the namespace list.
/// <see cref="Diagnostics"/> are what valid objects could not do (a host defined twice, a workload
/// with no address), for <c>/debug/ingestz</c>.
/// </summary>
public sealed record DesiredState(
    ImmutableSortedDictionary<string, DesiredService> Services,
    ImmutableSortedDictionary<string, NamespaceConfig> Namespaces,
    ImmutableArray<ConfigError> Diagnostics)
{
    public static readonly DesiredState Empty = new(
        ImmutableSortedDictionary<string, DesiredService>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, NamespaceConfig>.Empty.WithComparers(StringComparer.Ordinal),
        []);
}
