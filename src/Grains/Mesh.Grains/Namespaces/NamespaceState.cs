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

    /// <summary>Retired: learned hosts now live in <see cref="NamespaceLearnedState"/> (this state holds the config, costly to write). Read once to migrate.</summary>
    [Id(3)] public ImmutableSortedDictionary<string, ImmutableSortedSet<string>>? Learned { get; set; }
}

/// <summary>
/// A namespace grain's second, small state: the hosts each fenced service learned (a copy of its
/// fence grain's, which catalogs read with the config). Kept apart from <see cref="NamespaceState"/>
/// so a fence gaining its first host writes a few names, not the namespace's whole config.
/// </summary>
[GenerateSerializer, Alias("mesh.NamespaceLearnedState")]
public sealed class NamespaceLearnedState
{
    [Id(0)] public ImmutableSortedDictionary<string, ImmutableSortedSet<string>> Learned { get; set; } = NamespaceSnapshot.NoneLearned;
}
