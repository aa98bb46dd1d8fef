using System.Collections.Immutable;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What a gateway reports of one node in a batched, one-way call to its status shard
/// (<see cref="IProxyStatusGrain"/>): the node's connection (when it connected since the last
/// report) and its sent/ACK/NACK events.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyReport")]
public sealed record ProxyReport(
    [property: Id(0)] ProxyRegistration? Connected,
    [property: Id(1)] ImmutableArray<ProxyEvent> Events)
{
    public bool IsEmpty => Connected is null && Events.IsDefaultOrEmpty;
}
