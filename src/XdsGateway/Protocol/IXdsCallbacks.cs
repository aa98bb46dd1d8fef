using Grpc.Core;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Hooks the stream handlers call (go-control-plane's <c>Callbacks</c>): metrics hang on them, and a
/// host may register more. Implementations must be cheap and thread-safe; they run on stream loops.
/// </summary>
public interface IXdsCallbacks
{
    void OnStreamOpened(ProxyNode node, bool delta);

    void OnStreamClosed(ProxyNode node, bool delta);

    /// <summary>A stream ended with an error status (before or after identity was bound).</summary>
    void OnStreamError(StatusCode code);

    /// <summary>
    /// The gateway ended a stream with <c>UNAVAILABLE</c> so that the client reconnects:
    /// <paramref name="reason"/> is <see cref="ConnectionAge.CloseReason"/> or <see cref="StreamDrain.CloseReason"/>.
    /// </summary>
    void OnStreamClosedByServer(string reason);

    void OnResponseSent(ProxyNode node, string typeUrl, int resourceCount, long bytes);

    void OnAck(ProxyNode node, string typeUrl, string version);

    void OnNack(ProxyNode node, string typeUrl, string version, string errorDetail);

    /// <summary>A SotW request carried a superseded nonce, or a delta ACK did.</summary>
    void OnExpiredNonce(ProxyNode node, string typeUrl);

    /// <summary>A request exceeded <paramref name="limit"/> (S-05) and its stream is being ended with <c>ResourceExhausted</c>.</summary>
    void OnRequestRefused(ProxyNode node, string typeUrl, string limit);
}
