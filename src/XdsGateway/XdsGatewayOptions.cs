namespace Mesh.XdsGateway;

/// <summary>Knobs of the xDS gateway's stream handlers, bound from the <c>Xds</c> configuration section.</summary>
public sealed class XdsGatewayOptions
{
    public const string SectionName = "Xds";

    /// <summary>
    /// Requests a stream buffers before the reader stops reading (HTTP/2 flow control then pushes back
    /// on the client). Change notifications never queue: they coalesce per type. Default 16.
    /// </summary>
    public int RequestQueueCapacity { get; set; } = 16;

    /// <summary>
    /// Most resource names one request may carry (S-05); more ends the stream with
    /// <c>ResourceExhausted</c>. Default 100,000.
    /// </summary>
    public int MaxResourceNamesPerRequest { get; set; } = 100_000;

    /// <summary>
    /// On shutdown, how long the gateway spends ending its open streams (in batches, so clients
    /// reconnect to other gateways gradually). Keep it well under the host's shutdown timeout. Default 5 s.
    /// </summary>
    public TimeSpan DrainWindow { get; set; } = TimeSpan.FromSeconds(5);
}
