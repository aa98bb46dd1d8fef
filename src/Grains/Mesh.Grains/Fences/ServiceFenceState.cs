using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains.Fences;

/// <summary>Persisted state of a service fence grain: every learned host by name.</summary>
[GenerateSerializer, Alias("mesh.ServiceFenceState")]
public sealed class ServiceFenceState
{
    [Id(0)] public ImmutableSortedDictionary<string, LearnedHost> Learned { get; set; } = ImmutableSortedDictionary.Create<string, LearnedHost>(StringComparer.Ordinal);
}
