using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Delta;

/// <summary>
/// Serves incremental ADS streams (<c>DeltaAggregatedResources</c>); the sibling of
/// <see cref="Sotw.SotwStreamHandler"/>, with the same narrow dependencies.
/// </summary>
public sealed class DeltaStreamHandler(
    IConfigWatcher watcher,
    IOptions<XdsGatewayOptions> options,
    ResponseWriteGate writeGate,
    ConnectGate connectGate,
    IEnumerable<IXdsCallbacks> callbacks,
    ILogger<DeltaStreamHandler> logger)
{
    private readonly XdsCallbackList _callbacks = new(callbacks);

    public Task HandleAsync(
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<DeltaDiscoveryResponse> responses,
        CancellationToken cancellationToken) =>
        StreamSession.RunAsync(
            requests,
            r => r.Node,
            (node, watch) => new DeltaStream(node, watch, writeGate.Wrap(responses), options.Value, _callbacks, logger),
            watcher,
            connectGate,
            _callbacks,
            logger,
            delta: true,
            cancellationToken);
}
