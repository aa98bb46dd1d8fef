using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>What a gateway tells a ProxyGrain when a node connects.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyRegistration")]
public sealed record ProxyRegistration(
    [property: Id(0)] string NodeId,
    [property: Id(1)] ProxyKind Kind,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string Workload,
    [property: Id(4)] string IpAddress,
    [property: Id(5)] ImmutableSortedDictionary<string, string> Labels,
    [property: Id(6)] string GatewayId);
