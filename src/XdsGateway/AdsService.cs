using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsGateway.Delta;
using Mesh.XdsGateway.Protocol;
using Mesh.XdsGateway.Sotw;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway;

/// <summary>
/// The gRPC endpoint for <c>envoy.service.discovery.v3.AggregatedDiscoveryService</c> (X-01):
/// SotW and delta ADS, each delegated to its stream handler. Map with
/// <c>app.MapGrpcService&lt;AdsService&gt;()</c> after <c>services.AddXdsGateway()</c>.
/// </summary>
public sealed partial class AdsService(
    SotwStreamHandler sotw,
    DeltaStreamHandler delta,
    StreamDrain drain,
    ConnectionAge connectionAge,
    IEnumerable<IXdsCallbacks> callbacks,
    ILogger<AdsService> logger)
    : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    private readonly XdsCallbackList _callbacks = new(callbacks);

    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(ct => sotw.HandleAsync(requestStream, responseStream, ct), context);
    }

    public override Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<DeltaDiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(ct => delta.HandleAsync(requestStream, responseStream, ct), context);
    }

    /// <summary>
    /// Runs a stream under the drain and the connection's max age: refused while draining, ended
    /// with UNAVAILABLE when drained or when the connection is too old, so the client reconnects.
    /// </summary>
    private async Task RunAsync(Func<CancellationToken, Task> handle, ServerCallContext context)
    {
        if (drain.Draining)
        {
            throw Draining();
        }

        var http = context.GetHttpContext();
        using var lease = drain.Register(context.CancellationToken);
        using var clock = connectionAge.Start(http.Features.Get<IConnectionItemsFeature>()?.Items, lease.Token);
        try
        {
            await handle(clock.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when ((lease.Drained || clock.Expired) && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            throw EndedByServer(lease, clock, http);
        }

        if (lease.Drained || clock.Expired)
        {
            throw EndedByServer(lease, clock, http);
        }
    }

    private RpcException EndedByServer(StreamDrain.Lease lease, ConnectionAge.Clock clock, HttpContext http)
    {
        if (lease.Drained)
        {
            _callbacks.OnStreamClosedByServer(StreamDrain.CloseReason);
            return Draining();
        }

        // GOAWAY first (Kestrel sends it on RequestClose), so the client opens its next stream on a
        // new connection, which the load balancer may send to another gateway.
        if (clock.TryStartClosing())
        {
            http.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            LogConnectionAged(logger, http.Connection.Id, clock.Age);
        }

        _callbacks.OnStreamClosedByServer(ConnectionAge.CloseReason);
        LogStreamAged(logger, http.Connection.Id);
        return new RpcException(new Status(StatusCode.Unavailable, "max connection age reached; reconnect"));
    }

    private static RpcException Draining() =>
        new(new Status(StatusCode.Unavailable, "xDS gateway is draining (shutting down); reconnect to another gateway"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} reached its max age {Age} (Xds:MaxConnectionAge): sent GOAWAY; its streams end with UNAVAILABLE and clients reconnect")]
    private static partial void LogConnectionAged(ILogger logger, string connectionId, TimeSpan age);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ended an xDS stream on connection {ConnectionId}: max connection age reached")]
    private static partial void LogStreamAged(ILogger logger, string connectionId);
}
