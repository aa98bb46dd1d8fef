using System.Collections.Immutable;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A namespace as the per-silo catalogs hold it: its config and the scope views of the services
/// defined in it (ports, VIPs, cluster names, virtual hosts), the inputs of every scope build, and
/// the hosts its service fences learned (by fenced service).
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.NamespaceSnapshot")]
public sealed record NamespaceSnapshot(
    [property: Id(0)] NamespaceConfig Config,
    [property: Id(1)] ImmutableArray<ServiceScopeView> Views,
    [property: Id(2)] ImmutableSortedDictionary<string, ImmutableSortedSet<string>>? Learned = null)
{
    public static readonly ImmutableSortedDictionary<string, ImmutableSortedSet<string>> NoneLearned =
        ImmutableSortedDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);

    /// <summary>Learned hosts by fenced service (empty, never null).</summary>
    public ImmutableSortedDictionary<string, ImmutableSortedSet<string>> LearnedOrEmpty => Learned ?? NoneLearned;
}
