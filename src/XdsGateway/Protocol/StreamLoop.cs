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
    private readonly int _maxPerType;
    private readonly int _maxPerStream;
    private readonly int[] _subscribed = new int[TypeUrls.PushOrder.Count];
    private long _nonce;

    protected StreamLoop(ProxyNode node, IProxyWatch watch, XdsGatewayOptions options, IXdsCallbacks callbacks)
    {
        Node = node;
        Watch = watch;
        Callbacks = callbacks;
        _capacity = options.RequestQueueCapacity;
        _maxNames = options.MaxResourceNamesPerRequest;
        _maxPerType = options.MaxSubscribedNamesPerType;
        _maxPerStream = options.MaxSubscribedNamesPerStream;
    }

    /// <summary>Refusal reasons, as <c>xds_requests_refused{limit}</c> tags them.</summary>
    internal const string PerRequestLimit = "names_per_request";
    internal const string PerTypeLimit = "names_per_type";
    internal const string PerStreamLimit = "names_per_stream";

    protected ProxyNode Node { get; }

    protected IProxyWatch Watch { get; }

    protected IXdsCallbacks Callbacks { get; }

    /// <param name="first">The stream's first request.</param>
    /// <param name="requests">The rest of the stream.</param>
    /// <param name="onSettled">Called once, after the first flush that leaves the stream <see cref="Settled"/> (its connect slot goes back).</param>
    /// <param name="cancellationToken">Ends the loop.</param>
    public async Task RunAsync(TRequest first, IAsyncStreamReader<TRequest> requests, Action? onSettled, CancellationToken cancellationToken)
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
                if (onSettled is not null && Settled)
                {
                    onSettled();
                    onSettled = null;
                }
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

    private static readonly int ClusterSlot = TypeUrls.IndexOf(TypeUrls.Cluster);
    private static readonly int ListenerSlot = TypeUrls.IndexOf(TypeUrls.Listener);

    /// <summary>
    /// The client holds its first complete config: every type it asked for is <see cref="IHeldTypeState.Settled"/>
    /// (answered, and the answer acknowledged). What an answer points to is covered by the client's
    /// own order: an Envoy acknowledges clusters only once they are warm (their endpoints received)
    /// and listeners once their routes are, so its last ACK comes after the last follow-up; a client
    /// that acknowledges first and asks for the follow-up after (gRPC, the load tool) may be settled
    /// a moment early, which only lets the next stream in sooner. An Envoy asks for clusters and
    /// listeners both (listeners after its clusters are warm), so both must be there; a proxyless
    /// client starts from its listener.
    /// </summary>
    protected abstract bool Settled { get; }

    /// <summary><see cref="Settled"/> over a stream's per-type states.</summary>
    protected bool AllSettled<TState>(TState?[] types)
        where TState : class, IHeldTypeState
    {
        ArgumentNullException.ThrowIfNull(types);
        if (types[ListenerSlot] is null || (Node.Kind != ProxyKind.Proxyless && types[ClusterSlot] is null))
        {
            return false;
        }
        foreach (var state in types)
        {
            if (state is { Settled: false })
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// X-33: while the stream's cluster set is held because a service it needs is still loading, its
    /// listeners wait too (they stay dirty; the clusters' completion raises Changed and sends both in
    /// order). A service that finished loading between the two evaluations of one sweep would
    /// otherwise have its listener sent before its cluster. A load that fails is retried by the next
    /// lease renewal, which also releases them.
    /// </summary>
    protected static bool WaitsForClusters<TState>(TState?[] types, int slot)
        where TState : class, IHeldTypeState =>
        slot == ListenerSlot && types[ClusterSlot] is { Incomplete: true };

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
            throw Refuse(typeUrl, PerRequestLimit,
                $"request for '{typeUrl}' names {nameCount} resources; the limit is {_maxNames} (Xds:MaxResourceNamesPerRequest)");
        }
    }

    /// <summary>
    /// S-05: records that the stream now holds <paramref name="count"/> names of a type, or ends the
    /// stream with <c>ResourceExhausted</c> naming the limit it would exceed. Call before the
    /// request changes any state, so a refused request costs nothing that outlives the stream.
    /// </summary>
    protected void AdmitSubscribed(string typeUrl, int count)
    {
        var slot = TypeUrls.IndexOf(typeUrl);
        if (Fits(slot, count))
        {
            _subscribed[slot] = count;
            return;
        }
        if (count > _maxPerType)
        {
            throw Refuse(typeUrl, PerTypeLimit,
                $"stream would subscribe {count} names of '{typeUrl}'; the limit is {_maxPerType} per type (Xds:MaxSubscribedNamesPerType)");
        }
        var total = count + _subscribed.Where((_, i) => i != slot).Sum();
        throw Refuse(typeUrl, PerStreamLimit,
            $"stream would subscribe {total} names over all types; the limit is {_maxPerStream} per stream (Xds:MaxSubscribedNamesPerStream)");
    }

    /// <summary>Whether the stream may hold <paramref name="count"/> names of a type (no side effects).</summary>
    protected bool FitsLimits(string typeUrl, int count) => Fits(TypeUrls.IndexOf(typeUrl), count);

    private bool Fits(int slot, int count)
    {
        if (count > _maxPerType)
        {
            return false;
        }
        var total = 0;
        for (var i = 0; i < _subscribed.Length; i++)
        {
            total += i == slot ? count : _subscribed[i];
        }
        return total <= _maxPerStream;
    }

    private RpcException Refuse(string typeUrl, string limit, string message)
    {
        Callbacks.OnRequestRefused(Node, typeUrl, limit);
        return new RpcException(new Status(StatusCode.ResourceExhausted, message));
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
