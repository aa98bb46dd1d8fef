using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains.Namespaces;

/// <summary>Persisted state of a namespace grain: its config and the silo catalogs subscribed to it.</summary>
[GenerateSerializer, Alias("mesh.NamespaceState")]
public sealed class NamespaceState
{
    [Id(0)] public NamespaceConfig? Config { get; set; }

    // Id 1 (the scopes depending on this namespace, one write per scope) is retired.

    /// <summary>Subscribed silo catalogs, persisted so an activation elsewhere keeps notifying them.</summary>
    [Id(2)] public ImmutableHashSet<ICatalogObserver> Catalogs { get; set; } = [];

    /// <summary>The hosts each fenced service learned (a copy of its fence grain's, which catalogs read with the config).</summary>
    [Id(3)] public ImmutableSortedDictionary<string, ImmutableSortedSet<string>>? Learned { get; set; }
}
