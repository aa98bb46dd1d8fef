using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains.Namespaces;

/// <summary>Persisted state of a namespace grain.</summary>
[GenerateSerializer, Alias("mesh.NamespaceState")]
public sealed class NamespaceState
{
    [Id(0)] public NamespaceConfig? Config { get; set; }
    [Id(1)] public ImmutableHashSet<string> Dependents { get; set; } = [];
}
