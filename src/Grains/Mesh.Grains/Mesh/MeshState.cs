using System.Collections.Immutable;

namespace Mesh.Grains.Mesh;

/// <summary>Persisted state of the mesh root grain.</summary>
[GenerateSerializer, Alias("mesh.MeshState")]
public sealed class MeshState
{
    [Id(0)] public ImmutableArray<string> Namespaces { get; set; } = [];
    [Id(1)] public bool Ready { get; set; }
    [Id(2)] public ImmutableHashSet<string> Dependents { get; set; } = [];
}
