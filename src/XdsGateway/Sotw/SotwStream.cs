using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Sotw;

/// <summary>
/// One state-of-the-world ADS stream: per-type <see cref="WatchedResource"/> state, classified by
/// <see cref="AckDecision"/>, one response in flight per type, full LDS/CDS sets.
/// </summary>
internal sealed partial class SotwStream(
    ProxyNode node,
    IProxyWatch watch,
    IServerStreamWriter<DiscoveryResponse> responses,
    XdsGatewayOptions options,
    IXdsCallbacks callbacks,
    ILogger logger) : StreamLoop<DiscoveryRequest>(node, watch, options, callbacks)
{
    /// <summary>Per push-order slot, the slot of the type it waits for (EDS → CDS, RDS → LDS), or -1; built once, read per flush.</summary>
    private static readonly int[] ParentSlots = [.. TypeUrls.PushOrder.Select(t => t switch
    {
        TypeUrls.Endpoint => IndexOf(TypeUrls.Cluster),
        TypeUrls.Route => IndexOf(TypeUrls.Listener),
        _ => -1,
    })];

    private readonly SotwTypeState?[] _types = new SotwTypeState?[TypeUrls.PushOrder.Count];

    protected override void Process(DiscoveryRequest request)
    {
        CheckNode(request.Node);
        CheckRequest(request.TypeUrl, request.ResourceNames.Count);
        AdmitSubscribed(request.TypeUrl, request.ResourceNames.Count);
        var index = IndexOf(request.TypeUrl);
        var isNew = _types[index] is null;
        var state = _types[index] ??= new SotwTypeState(TypeUrls.PushOrder[index]);
        var previous = state.Watched;
        var result = AckDecision.Evaluate(isNew ? null : previous, request);
        state.Watched = result.Next;

        switch (result.Kind)
        {
            case AckKind.StaleNonce:
                Callbacks.OnExpiredNonce(Node, request.TypeUrl);
                LogStaleNonce(logger, Node.Id, request.TypeUrl, request.ResponseNonce, previous.NonceSent);
                return;
            case AckKind.Nack:
                if (request.ResponseNonce == previous.NonceSent)
                {
                    state.InFlight = false;
                    state.NackedVersion = previous.VersionSent;
                }

                var detail = request.ErrorDetail.Message;
                Watch.ReportNack(request.TypeUrl, previous.VersionSent, detail);
                Callbacks.OnNack(Node, request.TypeUrl, previous.VersionSent, detail);
                LogNack(logger, Node.Id, request.TypeUrl, previous.VersionSent, request.ResponseNonce, detail);
                return;
            case AckKind.Ack:
                state.InFlight = false;
                Watch.ReportAck(request.TypeUrl, request.VersionInfo);
                Callbacks.OnAck(Node, request.TypeUrl, request.VersionInfo);
                break;
            default:
                state.InFlight = false;
                break;
        }

        state.Force |= result.Respond;
        if (!isNew && ReferenceEquals(previous.ResourceNames, state.Watched.ResourceNames)
            && previous.SubscribedExplicitly == state.Watched.SubscribedExplicitly)
        {
            return; // the same names (AckDecision kept the held set): the subscription is unchanged
        }
        var subscription = state.Watched.ToSubscription();
        if (state.Applied is null || state.Applied.Wildcard != subscription.Wildcard || !state.Applied.Names.SetEquals(subscription.Names))
        {
            state.Applied = subscription;
            Watch.SetSubscription(request.TypeUrl, subscription);
        }
    }

    protected override async Task FlushAsync(int changed, CancellationToken cancellationToken)
    {
        var sweep = Sweep(changed);
        for (var i = 0; i < _types.Length; i++)
        {
            if (_types[i] is not { } state)
            {
                continue;
            }

            if ((sweep & (1 << i)) != 0)
            {
                state.Dirty = true;
            }

            if (WaitsForClusters(_types, i))
            {
                continue;
            }

            if ((state.Dirty || state.Force) && !state.InFlight && !AwaitsParent(i))
            {
                await TrySendAsync(state, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    protected override bool Settled => AllSettled(_types);

    /// <summary>
    /// X-33 on a new stream: EDS waits for the stream's first CDS response and RDS for its first LDS
    /// response while those are requested but held (X-25, e.g. a service still loading after a
    /// reconnect). Sent first, the EDS set would go out again after the CDS. The child keeps
    /// its pending response, and the parent's completion sends both in push order, in one flush.
    /// </summary>
    private bool AwaitsParent(int index) =>
        ParentSlots[index] is var parent and >= 0 && _types[parent] is { } state && state.Watched.NonceSent.Length == 0;

    private async Task TrySendAsync(SotwTypeState state, CancellationToken cancellationToken)
    {
        var typeUrl = state.Watched.TypeUrl;
        var subscription = state.Applied ?? Subscription.None;
        var resolved = await Watch.ResolveAsync(typeUrl).ConfigureAwait(false);
        state.Incomplete = !resolved.Complete;
        if (!state.Force && ReferenceEquals(resolved, state.LastResolved))
        {
            state.Dirty = false;
            return;
        }

        // a partial Listener or Cluster set would delete resources on the client; wait
        // for the watch to raise Changed once complete.
        if (TypeUrls.SupportsWildcard(typeUrl) && !resolved.Complete)
        {
            LogIncomplete(logger, Node.Id, typeUrl);
            state.Dirty = false;
            return;
        }

        state.LastResolved = resolved;
        state.Dirty = false;

        // The resolved set is exactly what the subscription selects, shared with every stream
        // holding the same set: its version and its diff from the last set sent are computed once.
        var version = resolved.Version;
        if (!state.Force)
        {
            // identical content is not resent; X-10: neither is the version the client rejected;
            // a type nobody subscribes to gets nothing.
            if (version == state.Watched.VersionSent || version == state.NackedVersion
                || (!subscription.Wildcard && subscription.Names.IsEmpty))
            {
                return;
            }
        }

        // LDS/CDS always carry the complete set. EDS/RDS may carry only what changed, so an
        // endpoint change to one service sends one ClusterLoadAssignment; a forced response (first
        // request, newly requested names X-19, EDS after CDS X-34) carries every subscribed name.
        var full = TypeUrls.SupportsWildcard(typeUrl) || state.Force;
        var send = resolved.ChangedSince(full ? null : state.LastSent);
        if (!full && send.Count == 0)
        {
            return; // only removals, which SotW EDS/RDS cannot express: nothing to send
        }

        if (send.Count == 0 && !resolved.Complete)
        {
            // the names asked for are still being fetched. An empty response now would only
            // make the client wait for an ACK round trip; their arrival raises Changed and sends them.
            LogIncomplete(logger, Node.Id, typeUrl);
            state.LastResolved = null;
            return;
        }

        var nonce = NextNonce();
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = nonce };
        long bytes = 0;
        state.LastSent = resolved;
        foreach (var resource in send)
        {
            // The body is the shared serialized bytes; wrapping never copies or re-serializes.
            response.Resources.Add(new Any { TypeUrl = typeUrl, Value = UnsafeByteOperations.UnsafeWrap(resource.Body) });
            bytes += resource.Body.Length;
        }

        await responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        state.Watched = state.Watched with { NonceSent = nonce, VersionSent = version, AlwaysRespond = false };
        state.InFlight = true;
        state.Force = false;
        if (typeUrl == TypeUrls.Cluster && _types[IndexOf(TypeUrls.Endpoint)] is { } endpoints)
        {
            // X-34 (envoy#13009): clusters warm only when a new CLA arrives, so answer the next EDS request.
            endpoints.Watched = endpoints.Watched with { AlwaysRespond = true };
        }

        Watch.ReportSent(typeUrl, version, nonce, resolved);
        Callbacks.OnResponseSent(Node, typeUrl, send.Count, bytes);
        LogSent(logger, Node.Id, typeUrl, version, nonce, send.Count);
    }

    private static int IndexOf(string typeUrl) => TypeUrls.IndexOf(typeUrl) is var i and >= 0
        ? i
        : throw new InvalidOperationException($"type '{typeUrl}' passed validation but is not in the push order");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sent {TypeUrl} version {Version} nonce {Nonce} ({Count} resources) to {ProxyId}")]
    private static partial void LogSent(ILogger logger, string proxyId, string typeUrl, string version, string nonce, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} rejected {TypeUrl} version {Version} (nonce {Nonce}): {ErrorDetail}. The version is not resent; fix the config that produced it and a new version will be pushed.")]
    private static partial void LogNack(ILogger logger, string proxyId, string typeUrl, string version, string nonce, string errorDetail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored {TypeUrl} request from {ProxyId} with stale nonce {Nonce}; latest is {LatestNonce}")]
    private static partial void LogStaleNonce(ILogger logger, string proxyId, string typeUrl, string nonce, string latestNonce);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Holding {TypeUrl} for {ProxyId}: the resource set is still incomplete (X-25)")]
    private static partial void LogIncomplete(ILogger logger, string proxyId, string typeUrl);
}
