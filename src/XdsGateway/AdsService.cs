using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsGateway.Delta;
using Mesh.XdsGateway.Protocol;
using Mesh.XdsGateway.Sotw;

namespace Mesh.XdsGateway;

/// <summary>
/// The gRPC endpoint for <c>envoy.service.discovery.v3.AggregatedDiscoveryService</c> (X-01):
/// SotW and delta ADS, each delegated to its stream handler. Map with
/// <c>app.MapGrpcService&lt;AdsService&gt;()</c> after <c>services.AddXdsGateway()</c>.
/// </summary>
public sealed class AdsService(SotwStreamHandler sotw, DeltaStreamHandler delta, StreamDrain drain)
    : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(ct => sotw.HandleAsync(requestStream, responseStream, ct), context.CancellationToken);
    }

    public override Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<DeltaDiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(ct => delta.HandleAsync(requestStream, responseStream, ct), context.CancellationToken);
    }

    /// <summary>Runs a stream under the drain: refused while draining, ended with UNAVAILABLE when drained.</summary>
    private async Task RunAsync(Func<CancellationToken, Task> handle, CancellationToken callToken)
    {
        if (drain.Draining)
        {
            throw Draining();
        }
        using var lease = drain.Register(callToken);
        try
        {
            await handle(lease.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (lease.Drained && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            throw Draining();
        }
        if (lease.Drained)
        {
            throw Draining();
        }
    }

    private static RpcException Draining() =>
        new(new Status(StatusCode.Unavailable, "xDS gateway is draining (shutting down); reconnect to another gateway"));
}
