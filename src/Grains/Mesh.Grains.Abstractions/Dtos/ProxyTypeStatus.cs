namespace Mesh.Grains.Dtos;

/// <summary>Per proxy and type: last version sent, ACKed and NACKed, and the last NACK's error detail.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyTypeStatus")]
public sealed record ProxyTypeStatus(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string? Sent,
    [property: Id(2)] string? Acked,
    [property: Id(3)] string? Nacked,
    [property: Id(4)] string? LastError,
    [property: Id(5)] DateTimeOffset? LastNackAt)
{
    /// <summary>istioctl proxy-status wording: SYNCED, NOT SENT or STALE (sent but not ACKed, or NACKed).</summary>
    public string State => Sent is null ? "NOT SENT" : Sent == Acked ? "SYNCED" : "STALE";
}
