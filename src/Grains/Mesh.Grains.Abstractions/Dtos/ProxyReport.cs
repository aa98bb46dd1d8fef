using System.Collections.Immutable;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What a gateway tells a ProxyGrain in one batched, one-way call: the node's connection (when it
/// connected since the last report) and its sent/ACK/NACK events.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyReport")]
public sealed record ProxyReport(
    [property: Id(0)] ProxyRegistration? Connected,
    [property: Id(1)] ImmutableArray<ProxyEvent> Events)
{
    public bool IsEmpty => Connected is null && Events.IsDefaultOrEmpty;
}
