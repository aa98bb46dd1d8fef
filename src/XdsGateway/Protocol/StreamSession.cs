using Envoy.Config.Core.V3;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// The part of a stream both variants share: read the first request, bind identity, open
/// the watch, run the loop, and report open, close and error through the callbacks.
/// </summary>
internal static partial class StreamSession
{
    public static async Task RunAsync<TRequest>(
        IAsyncStreamReader<TRequest> requests,
        Func<TRequest, Node?> nodeOf,
        Func<ProxyNode, IProxyWatch, StreamLoop<TRequest>> createLoop,
        IConfigWatcher watcher,
        ConnectGate connectGate,
        IXdsCallbacks callbacks,
        ILogger logger,
        bool delta,
        CancellationToken cancellationToken)
        where TRequest : class
    {
        try
        {
            if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var first = requests.Current;
            var node = NodeIdParser.Parse(nodeOf(first));

            // Admission: nothing is resolved for a stream until it has a connect slot; the slot goes
            // back once the stream is settled (or after the hold), whatever happens to the stream.
            using var slot = await connectGate.EnterAsync(cancellationToken).ConfigureAwait(false);
            var watch = await watcher.OpenAsync(node, cancellationToken).ConfigureAwait(false);
            await using (watch.ConfigureAwait(false))
            {
                callbacks.OnStreamOpened(node, delta);
                LogConnected(logger, node.Id, delta ? "delta" : "sotw", node.Namespace);
                var withheld = string.Join(", ", Mesh.Model.Translation.ProxylessClients.Withheld(node.Quirks));
                if (withheld.Length > 0)
                {
                    LogWithheld(logger, node.Id, node.UserAgent, withheld);
                }
                try
                {
                    // Hand the first request over without keeping a reference for the stream's lifetime.
                    await createLoop(node, watch).RunAsync(Interlocked.Exchange(ref first, null!), requests, slot.Release, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    callbacks.OnStreamClosed(node, delta);
                    LogDisconnected(logger, node.Id);
                }
            }
        }
        catch (RpcException ex)
        {
            callbacks.OnStreamError(ex.StatusCode);
            LogRejected(logger, ex.StatusCode, ex.Status.Detail);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} connected ({Variant}) in namespace {Namespace}")]
    private static partial void LogConnected(ILogger logger, string proxyId, string variant, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} is {UserAgent}, a version known to mishandle {Features}: left out of its resources")]
    private static partial void LogWithheld(ILogger logger, string proxyId, string userAgent, string features);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected")]
    private static partial void LogDisconnected(ILogger logger, string proxyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended an xDS stream with {StatusCode}: {Detail}")]
    private static partial void LogRejected(ILogger logger, StatusCode statusCode, string detail);
}
