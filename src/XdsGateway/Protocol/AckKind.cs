namespace Mesh.XdsGateway.Protocol;

/// <summary>How a SotW request relates to what the stream sent before (Istio's ShouldRespond cases).</summary>
public enum AckKind
{
    /// <summary>First request for the type on this stream, or a request with an empty nonce.</summary>
    Initial,

    /// <summary>A nonce from an earlier stream: respond with the full state.</summary>
    Reconnect,

    /// <summary>Echoes the last nonce without <c>error_detail</c> (X-07).</summary>
    Ack,

    /// <summary>Carries <c>error_detail</c> (X-07, X-08).</summary>
    Nack,

    /// <summary>Carries a nonce older than the last one sent .</summary>
    StaleNonce,
}
