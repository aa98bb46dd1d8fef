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
    /// Most names one stream may hold subscribed for one type (S-05): SotW a request's
    /// <c>resource_names</c>, delta the names subscribed so far and a first request's
    /// <c>initial_resource_versions</c>. A request that would exceed it ends the stream with
    /// <c>ResourceExhausted</c>. A sidecar of a 10,000-service mesh needs a few times 10,000. Default 100,000.
    /// </summary>
    public int MaxSubscribedNamesPerType { get; set; } = 100_000;

    /// <summary>Most names one stream may hold subscribed over all types together (S-05). Default 200,000.</summary>
    public int MaxSubscribedNamesPerStream { get; set; } = 200_000;

    /// <summary>
    /// On shutdown, how long the gateway spends ending its open streams (in batches, so clients
    /// reconnect to other gateways gradually). Keep it well under the host's shutdown timeout. Default 5 s.
    /// </summary>
    public TimeSpan DrainWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a client connection lives (gRPC's <c>MAX_CONNECTION_AGE</c>; istiod uses 30 min): then
    /// the gateway sends GOAWAY and ends the connection's streams with <c>UNAVAILABLE</c>, and clients
    /// reconnect, possibly to another gateway, so streams rebalance after a scale-out (G-08).
    /// Zero or <see cref="Timeout.InfiniteTimeSpan"/> disables it. Default 30 min.
    /// </summary>
    public TimeSpan MaxConnectionAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Random spread of <see cref="MaxConnectionAge"/> per connection, as a fraction (0.1 = ±10 %), so
    /// connections opened together (a reconnect wave) do not all end together. 0 to 0.5. Default 0.1.
    /// </summary>
    public double MaxConnectionAgeJitter { get; set; } = 0.1;

    /// <summary>
    /// HTTP/2 streams one connection may carry (<c>SETTINGS_MAX_CONCURRENT_STREAMS</c>). Envoy opens
    /// one ADS stream per connection; gRPC clients and the load tool multiplex. It also bounds how
    /// many streams one max-age expiry ends at once. Default 1,000 (Kestrel's own default is 100).
    /// </summary>
    public int MaxStreamsPerConnection { get; set; } = 1_000;

    /// <summary>Open connections the process accepts; null is unbounded (limit at the load balancer). Default null.</summary>
    public long? MaxConnections { get; set; }

    /// <summary>
    /// Request bytes the gateway buffers per stream before the client must wait (HTTP/2 stream window).
    /// xDS requests are small, so the protocol minimum keeps per-proxy memory low. Default 65,535 (minimum).
    /// </summary>
    public int InitialStreamWindowSize { get; set; } = 65_535;

    /// <summary>Request bytes buffered across all streams of one connection (HTTP/2 connection window). Default 128 KiB.</summary>
    public int InitialConnectionWindowSize { get; set; } = 128 * 1024;

    /// <summary>
    /// An HTTP/2 PING is sent after this long without a frame from the client, to find dead peers
    /// behind silent NATs and load balancers. <see cref="Timeout.InfiniteTimeSpan"/> disables it. Default 30 s.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection whose PING is not answered within this is closed. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Responses the gateway's streams write at once (<see cref="Protocol.ResponseWriteGate"/>); the rest
    /// wait their turn. A change every proxy sees wakes every stream together: this keeps the serialized
    /// responses waiting for HTTP/2 to a few buffers instead of one per stream. 0 turns the gate off.
    /// Default 64.
    /// </summary>
    public int MaxConcurrentWrites { get; set; } = 64;

    /// <summary>
    /// How long one write keeps its slot while its client's HTTP/2 window is full; then it goes on
    /// without the slot, so a slow proxy never holds back the others. Default 50 ms.
    /// </summary>
    public TimeSpan WriteSlotHold { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// New streams the gateway brings to their first complete config at once (<see cref="Protocol.ConnectGate"/>);
    /// streams arriving beyond it wait, first come first served, before anything is resolved for them.
    /// In a connect storm this keeps time to full config short for the streams served instead of long
    /// for all of them. 0 turns the gate off. Default 64.
    /// </summary>
    public int MaxConcurrentConnects { get; set; } = 64;

    /// <summary>
    /// Longest a new stream keeps its connect slot before it is settled (every subscribed type answered
    /// and acknowledged); then the slot goes to the next stream, so a client that never settles
    /// delays the others by this much at most. Default 2 s.
    /// </summary>
    public TimeSpan ConnectSlotHold { get; set; } = TimeSpan.FromSeconds(2);
}
