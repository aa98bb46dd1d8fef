using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway;

/// <summary>
/// Sizes Kestrel for tens of thousands of long-lived ADS streams per process, from
/// <see cref="XdsGatewayOptions"/>. Kestrel's limits are per server, so they also apply to the
/// admin listener, which is HTTP/1 and unaffected by the HTTP/2 ones.
/// </summary>
/// <remarks>
/// Left at Kestrel's defaults on purpose:
/// <list type="bullet">
/// <item><c>MinRequestBodyDataRate</c> and <c>MaxRequestBodySize</c>: gRPC turns both off for each
/// streaming call (its own limit is the message size), and they still protect the admin port.</item>
/// <item><c>MinResponseDataRate</c> (240 B/s after a 5 s grace): on HTTP/2 Kestrel times a write only
/// while it waits for the socket or the client's flow-control window, never while a stream is idle,
/// so it is the send deadline that closes the connection of a client that stopped reading .</item>
/// </list>
/// </remarks>
public sealed class XdsKestrelOptionsSetup(IOptions<XdsGatewayOptions> options) : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>Request header budget: gRPC and Envoy send a handful of short headers plus, at most, a token.</summary>
    internal const int MaxHeaderFieldSize = 16 * 1024;

    internal const int MaxHeadersTotalSize = 32 * 1024;

    public void Configure(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        var xds = options.Value;
        var limits = kestrel.Limits;
        limits.MaxConcurrentConnections = xds.MaxConnections;
        limits.MaxRequestHeadersTotalSize = MaxHeadersTotalSize;
        limits.Http2.MaxRequestHeaderFieldSize = MaxHeaderFieldSize;
        limits.Http2.MaxStreamsPerConnection = xds.MaxStreamsPerConnection;

        // Windows bound what a client can make the gateway buffer; buffers are taken as data arrives.
        limits.Http2.InitialStreamWindowSize = xds.InitialStreamWindowSize;
        limits.Http2.InitialConnectionWindowSize = xds.InitialConnectionWindowSize;
        limits.Http2.KeepAlivePingDelay = xds.KeepAlivePingDelay;
        limits.Http2.KeepAlivePingTimeout = xds.KeepAlivePingTimeout;
    }
}
