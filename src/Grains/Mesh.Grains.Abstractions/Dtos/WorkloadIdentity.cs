using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>One workload's proxies as they connect: kind, namespace, workload name and labels.</summary>
[GenerateSerializer, Immutable, Alias("mesh.WorkloadIdentity")]
public sealed record WorkloadIdentity(
    [property: Id(0)] ProxyKind Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Workload,
    [property: Id(3)] ImmutableSortedDictionary<string, string> Labels);
