using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>A proxy's identity and sync status, as recorded by its ProxyGrain.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyStatus")]
public sealed record ProxyStatus(
    [property: Id(0)] string NodeId,
    [property: Id(1)] ProxyKind Kind,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string Workload,
    [property: Id(4)] string? GatewayId,
    [property: Id(5)] bool Connected,
    [property: Id(6)] ImmutableArray<ProxyTypeStatus> Types,
    [property: Id(7)] long NackCount);
