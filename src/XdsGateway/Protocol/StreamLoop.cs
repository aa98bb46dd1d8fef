using System.Globalization;
using Envoy.Config.Core.V3;
using Grpc.Core;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// The per-stream loop shared by SotW and delta (STYLE 7, grpc-dotnet's HealthServiceImpl): one
/// reader task feeds a <see cref="StreamInbox{TRequest}"/>; this loop alone processes requests and
/// changes and is the only writer. After each batch it flushes types in push order (X-33).
/// </summary>
internal abstract class StreamLoop<TRequest>
    where TRequest : class
{
    private readonly int _capacity;
    private readonly int _maxNames;
    private long _nonce;

    protected StreamLoop(ProxyNode node, IProxyWatch watch, XdsGatewayOptions options)
    {
        Node = node;
        Watch = watch;
        _capacity = options.RequestQueueCapacity;
        _maxNames = options.MaxResourceNamesPerRequest;
    }

    protected ProxyNode Node { get; }

    protected IProxyWatch Watch { get; }

    public async Task RunAsync(TRequest first, IAsyncStreamReader<TRequest> requests, CancellationToken cancellationToken)
    {
        var inbox = new StreamInbox<TRequest>(_capacity);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Watch.Changed += inbox.MarkChanged;
        var reader = Task.CompletedTask;
        try
        {
            await inbox.PostAsync(first, cts.Token).ConfigureAwait(false);
            first = null!; // the stream lives for hours: do not keep the first request (node metadata, names) alive
            reader = PumpAsync(requests, inbox, cts.Token);
            while (await inbox.WaitToReadAsync(cts.Token).ConfigureAwait(false))
            {
                while (inbox.TryRead(out var request))
                {
                    if (request is not null)
                    {
                        Process(request);
                    }
                }

                await FlushAsync(inbox.TakeChanged(), cts.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            Watch.Changed -= inbox.MarkChanged;
            await cts.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }

    /// <summary>Applies one request to the stream's state; sends nothing (the flush does).</summary>
    protected abstract void Process(TRequest request);

    /// <summary>
    /// Sends what is due, in push order. <paramref name="changed"/> holds a bit per type whose
    /// resources may have changed (see <see cref="StreamInbox{TRequest}.BitOf"/>).
    /// </summary>
    protected abstract Task FlushAsync(int changed, CancellationToken cancellationToken);

    /// <summary>
    /// Types to re-check for a change mask: every type up to the last one changed, so a change to
    /// routes also pushes any pending cluster, endpoint and listener change first (X-33).
    /// </summary>
    protected static int Sweep(int changed)
    {
        if (changed == 0)
        {
            return 0;
        }

        var highest = 31 - int.LeadingZeroCount(changed);
        return (int)((1u << (highest + 1)) - 1);
    }

    protected string NextNonce() => (++_nonce).ToString(CultureInfo.InvariantCulture);

    /// <summary>X-03: identity is bound from the first request; a later node must not differ.</summary>
    protected void CheckNode(Node? node)
    {
        if (node is not null && node.Id.Length > 0 && node.Id != Node.Id)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"node id changed mid-stream from '{Node.Id}' to '{node.Id}' (X-03); open a new stream for a new identity"));
        }
    }

    protected void CheckRequest(string typeUrl, int nameCount)
    {
        if (!TypeUrls.IsKnown(typeUrl))
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"unknown type_url '{typeUrl}': this server serves {string.Join(", ", TypeUrls.PushOrder)}"));
        }

        if (nameCount > _maxNames)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"request for '{typeUrl}' names {nameCount} resources; the limit is {_maxNames} (Xds:MaxResourceNamesPerRequest)"));
        }
    }

    private static async Task PumpAsync(IAsyncStreamReader<TRequest> requests, StreamInbox<TRequest> inbox, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                await inbox.PostAsync(requests.Current, cancellationToken).ConfigureAwait(false);
            }

            inbox.Complete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            inbox.Complete();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or RpcException)
        {
            inbox.Complete(ex);
        }
    }
}
