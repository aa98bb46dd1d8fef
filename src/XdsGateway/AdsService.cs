using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsGateway.Delta;
using Mesh.XdsGateway.Sotw;

namespace Mesh.XdsGateway;

/// <summary>
/// The gRPC endpoint for <c>envoy.service.discovery.v3.AggregatedDiscoveryService</c> (X-01):
/// SotW and delta ADS, each delegated to its stream handler. Map with
/// <c>app.MapGrpcService&lt;AdsService&gt;()</c> after <c>services.AddXdsGateway()</c>.
/// </summary>
public sealed class AdsService(SotwStreamHandler sotw, DeltaStreamHandler delta)
    : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return sotw.HandleAsync(requestStream, responseStream, context.CancellationToken);
    }

    public override Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<DeltaDiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return delta.HandleAsync(requestStream, responseStream, context.CancellationToken);
    }
}
