namespace Mesh.Grains.Dtos;

/// <summary>A protocol event a gateway reports to a ProxyGrain.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyEvent")]
public sealed record ProxyEvent(
    [property: Id(0)] ProxyEventKind Kind,
    [property: Id(1)] string TypeUrl,
    [property: Id(2)] string Version,
    [property: Id(3)] string? Error);

/// <summary>Sent, ACK or NACK.</summary>
public enum ProxyEventKind
{
    Sent,
    Ack,
    Nack,
}
