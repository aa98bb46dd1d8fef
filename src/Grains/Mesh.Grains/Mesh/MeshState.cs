using System.Collections.Immutable;

namespace Mesh.Grains.Mesh;

/// <summary>Persisted state of the mesh root grain.</summary>
[GenerateSerializer, Alias("mesh.MeshState")]
public sealed class MeshState
{
    [Id(0)] public ImmutableArray<string> Namespaces { get; set; } = [];
    [Id(1)] public bool Ready { get; set; }

    // Id 2 (every scope of the mesh, one write per scope) is retired.

    /// <summary>Subscribed silo catalogs, persisted so an activation elsewhere keeps notifying them.</summary>
    [Id(3)] public ImmutableHashSet<ICatalogObserver> Catalogs { get; set; } = [];
}
