using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Sotw;

/// <summary>One SotW stream's bookkeeping for one type, beyond the protocol view in <see cref="WatchedResource"/>.</summary>
internal sealed class SotwTypeState(string typeUrl) : IHeldTypeState
{
    public WatchedResource Watched { get; set; } = new(typeUrl);

    /// <summary>The subscription last given to the watch.</summary>
    public Subscription? Applied { get; set; }

    /// <summary>A response is out and neither ACKed nor NACKed yet .</summary>
    public bool InFlight { get; set; }

    /// <summary>Resources may have changed while a response was in flight: evaluate after the ACK.</summary>
    public bool Dirty { get; set; }

    /// <inheritdoc />
    public bool Incomplete { get; set; }

    /// <inheritdoc />
    public bool Settled => Watched.NonceSent.Length > 0 && !InFlight && !Dirty && !Force && !Incomplete;

    /// <summary>The request must be answered even with unchanged content (initial, X-19, X-34).</summary>
    public bool Force { get; set; }

    /// <summary>The version the client rejected; not sent again .</summary>
    public string? NackedVersion { get; set; }

    /// <summary>The set last sent on this stream (shared, not copied), for EDS/RDS responses that carry only what changed.</summary>
    public ResolvedResources? LastSent { get; set; }

    /// <summary>The set last evaluated; the same instance means nothing changed.</summary>
    public ResolvedResources? LastResolved { get; set; }
}
