using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>The workload a scope serves: kind, namespace, workload name and its labels.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ScopeIdentity")]
public sealed record ScopeIdentity(
    [property: Id(0)] ProxyKind Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Workload,
    [property: Id(3)] ImmutableSortedDictionary<string, string> Labels);
