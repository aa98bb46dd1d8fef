using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Sotw;

/// <summary>
/// Serves state-of-the-world ADS streams (<c>StreamAggregatedResources</c>). Depends only on
/// <see cref="IConfigWatcher"/>, so tests drive it with a fake. Singleton; per-stream state lives
/// in the loop it creates for each call.
/// </summary>
public sealed class SotwStreamHandler(
    IConfigWatcher watcher,
    IOptions<XdsGatewayOptions> options,
    ResponseWriteGate writeGate,
    ConnectGate connectGate,
    IEnumerable<IXdsCallbacks> callbacks,
    ILogger<SotwStreamHandler> logger)
{
    private readonly XdsCallbackList _callbacks = new(callbacks);

    public Task HandleAsync(
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        CancellationToken cancellationToken) =>
        StreamSession.RunAsync(
            requests,
            r => r.Node,
            (node, watch) => new SotwStream(node, watch, writeGate.Wrap(responses), options.Value, _callbacks, logger),
            watcher,
            connectGate,
            _callbacks,
            logger,
            delta: false,
            cancellationToken);
}
