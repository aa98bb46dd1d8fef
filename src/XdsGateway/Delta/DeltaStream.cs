using System.Collections.Immutable;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Delta;

/// <summary>
/// One incremental ADS stream: subscribe/unsubscribe per type (X-37..X-40), applied even with a
/// stale nonce; responses carry only what the client lacks plus <c>removed_resources</c>
/// one response in flight per type.
/// </summary>
internal sealed partial class DeltaStream(
    ProxyNode node,
    IProxyWatch watch,
    IServerStreamWriter<DeltaDiscoveryResponse> responses,
    XdsGatewayOptions options,
    IXdsCallbacks callbacks,
    ILogger logger) : StreamLoop<DeltaDiscoveryRequest>(node, watch, options, callbacks)
{
    private readonly DeltaTypeState?[] _types = new DeltaTypeState?[TypeUrls.PushOrder.Count];

    protected override void Process(DeltaDiscoveryRequest request)
    {
        CheckNode(request.Node);
        CheckRequest(request.TypeUrl, request.ResourceNamesSubscribe.Count + request.ResourceNamesUnsubscribe.Count + request.InitialResourceVersions.Count);
        var typeUrl = request.TypeUrl;
        var index = int.TrailingZeroCount(StreamInbox<DeltaDiscoveryRequest>.BitOf(typeUrl));
        var names = _types[index]?.Names ?? NameSets.Empty;

        // S-05: refuse before anything is stored, so a refused request leaves nothing behind.
        if (_types[index] is null)
        {
            AdmitSubscribed(typeUrl, request.InitialResourceVersions.Count);
        }
        var upper = names.Count + request.ResourceNamesSubscribe.Count;
        AdmitSubscribed(typeUrl, FitsLimits(typeUrl, upper) ? upper : SubscribedAfter(names, request));

        if (_types[index] is not { } state)
        {
            state = _types[index] = new DeltaTypeState(TypeUrls.PushOrder[index]);

            // what the client kept from an earlier stream; unchanged names are not resent.
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                state.Known[NameSets.Name(name)] = version;
            }

            // empty subscribe and unsubscribe on the first request is the legacy wildcard.
            state.Wildcard = TypeUrls.SupportsWildcard(typeUrl)
                && request.ResourceNamesSubscribe.Count == 0 && request.ResourceNamesUnsubscribe.Count == 0;
        }

        // the subscription changes whatever the nonce says.
        ApplySubscription(state, request);
        AdmitSubscribed(typeUrl, state.Names.Count);
        if (request.ResponseNonce.Length > 0)
        {
            Acknowledge(state, request);
        }
    }

    /// <summary>How many names the stream holds once <paramref name="request"/> is applied to <paramref name="names"/>.</summary>
    private static int SubscribedAfter(ImmutableHashSet<string> names, DeltaDiscoveryRequest request)
    {
        var added = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name != Subscription.WildcardName && !names.Contains(name))
            {
                added.Add(name);
            }
        }
        var removed = request.ResourceNamesUnsubscribe.Distinct(StringComparer.Ordinal).Count(n => names.Contains(n) || added.Contains(n));
        return names.Count + added.Count - removed;
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

            if ((state.Dirty || state.Force.Count > 0 || state.RespondOnce) && !state.InFlight)
            {
                await TrySendAsync(state, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    protected override bool Settled => AllSettled(_types);

    private void ApplySubscription(DeltaTypeState state, DeltaDiscoveryRequest request)
    {
        var isInitial = state.Applied is null;
        if (!isInitial && request.ResourceNamesSubscribe.Count == 0 && request.ResourceNamesUnsubscribe.Count == 0)
        {
            return; // an ACK or NACK: the subscription stays
        }

        state.KnownIs = null; // the subscription changes what Known and Force hold
        var names = state.Names.ToBuilder();
        foreach (var requested in request.ResourceNamesSubscribe)
        {
            if (requested == Subscription.WildcardName && TypeUrls.SupportsWildcard(state.TypeUrl))
            {
                state.Wildcard = true;
                continue;
            }

            var name = NameSets.Name(requested);
            names.Add(name);

            // answer every subscribed name, unless the client just told us its version.
            if (!(isInitial && state.Known.ContainsKey(name)))
            {
                state.Force.Add(name);
            }
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == Subscription.WildcardName)
            {
                state.Wildcard = false;
                state.Known.Keys.Where(k => !names.Contains(k)).ToList().ForEach(k => state.Known.Remove(k));
            }
            else if (names.Remove(name))
            {
                // with "*" still subscribed the client must learn whether the wildcard covers it.
                if (state.Wildcard)
                {
                    state.Force.Add(name);
                }
                else
                {
                    state.Known.Remove(name);
                    state.Force.Remove(name);
                }
            }

            // Otherwise a phantom unsubscribe: nothing to do.
        }

        state.Names = NameSets.Of(names);
        var subscription = state.ToSubscription();
        if (state.Applied is null || state.Applied.Wildcard != subscription.Wildcard || !state.Applied.Names.SetEquals(subscription.Names))
        {
            state.Applied = subscription;
            Watch.SetSubscription(state.TypeUrl, subscription);
        }
    }

    private void Acknowledge(DeltaTypeState state, DeltaDiscoveryRequest request)
    {
        if (request.ResponseNonce != state.NonceSent || !state.InFlight)
        {
            Callbacks.OnExpiredNonce(Node, state.TypeUrl);
            LogStaleNonce(logger, Node.Id, state.TypeUrl, request.ResponseNonce, state.NonceSent);
            return;
        }

        state.InFlight = false;
        if (request.ErrorDetail is { } error)
        {
            // the client's state is unknown; keep what was sent as known so the rejected
            // versions are not pushed again until they change.
            Watch.ReportNack(state.TypeUrl, state.VersionSent, error.Message);
            Callbacks.OnNack(Node, state.TypeUrl, state.VersionSent, error.Message);
            LogNack(logger, Node.Id, state.TypeUrl, state.VersionSent, request.ResponseNonce, error.Message);
            return;
        }

        Watch.ReportAck(state.TypeUrl, state.VersionSent);
        Callbacks.OnAck(Node, state.TypeUrl, state.VersionSent);
    }

    private async Task TrySendAsync(DeltaTypeState state, CancellationToken cancellationToken)
    {
        var resolved = await Watch.ResolveAsync(state.TypeUrl).ConfigureAwait(false);
        state.Incomplete = !resolved.Complete;
        if (state.Force.Count == 0 && !state.RespondOnce && ReferenceEquals(resolved, state.LastResolved))
        {
            state.Dirty = false;
            return;
        }

        state.LastResolved = resolved;
        state.Dirty = false;
        IReadOnlyList<XdsResource> updates;
        ImmutableArray<string> removed;
        if (state.KnownIs is { } known && state.Force.Count == 0 && resolved.Complete)
        {
            // The client holds exactly `known`: send the shared diff (the common case, a change to
            // a few names of a set thousands of streams hold).
            updates = resolved.ChangedSince(known);
            removed = resolved.RemovedSince(known);
        }
        else
        {
            // The resolved set is exactly what the subscription selects (wildcard and names).
            var visible = resolved.Resources;
            updates = [.. visible.Values.Where(r => state.Force.Contains(r.Name) || !state.Known.TryGetValue(r.Name, out var v) || v != r.Version)];

            // names the client holds that are gone, and forced names that do not exist.
            // While the set is incomplete a missing name may still be loading, so removals wait.
            removed = ImmutableArray<string>.Empty;
            if (resolved.Complete)
            {
                removed = [.. state.Known.Keys.Concat(state.Force).Where(n => !visible.ContainsKey(n)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            }
        }

        if (updates.Count == 0 && removed.IsEmpty && !resolved.Complete)
        {
            // the names asked for are still being fetched; their arrival raises Changed and
            // answers them. An empty first response would read as "nothing exists yet".
            LogIncomplete(logger, Node.Id, state.TypeUrl);
            return;
        }

        // Once this is sent (or nothing is due), the client holds the complete set exactly.
        var knownAfter = resolved.Complete ? resolved : null;
        if (updates.Count == 0 && removed.IsEmpty && !state.RespondOnce)
        {
            state.KnownIs = knownAfter;
            return;
        }

        var nonce = NextNonce();
        var version = resolved.Version;
        var response = new DeltaDiscoveryResponse { TypeUrl = state.TypeUrl, Nonce = nonce, SystemVersionInfo = version };
        long bytes = 0;
        foreach (var resource in updates)
        {
            response.Resources.Add(new Resource
            {
                Name = resource.Name,
                Version = resource.Version,
                Resource_ = new Any { TypeUrl = state.TypeUrl, Value = UnsafeByteOperations.UnsafeWrap(resource.Body) },
            });
            bytes += resource.Body.Length;
        }

        response.RemovedResources.AddRange(removed);
        await responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);

        foreach (var resource in updates)
        {
            state.Known[resource.Name] = resource.Version;
            state.Force.Remove(resource.Name);
        }

        foreach (var name in removed)
        {
            state.Known.Remove(name);
            state.Force.Remove(name);
        }

        if (state.Force.Count == 0)
        {
            state.Force.TrimExcess(); // answered: do not keep room for 50 names per stream
        }

        state.KnownIs = knownAfter;
        state.NonceSent = nonce;
        state.VersionSent = version;
        state.InFlight = true;
        state.RespondOnce = false;
        Watch.ReportSent(state.TypeUrl, version, nonce, resolved);
        Callbacks.OnResponseSent(Node, state.TypeUrl, updates.Count, bytes);
        LogSent(logger, Node.Id, state.TypeUrl, version, nonce, updates.Count, removed.Length);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sent delta {TypeUrl} version {Version} nonce {Nonce} ({Count} resources, {Removed} removed) to {ProxyId}")]
    private static partial void LogSent(ILogger logger, string proxyId, string typeUrl, string version, string nonce, int count, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} rejected delta {TypeUrl} version {Version} (nonce {Nonce}): {ErrorDetail}. The rejected resources are not resent; fix the config that produced them and a new version will be pushed.")]
    private static partial void LogNack(ILogger logger, string proxyId, string typeUrl, string version, string nonce, string errorDetail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Holding delta {TypeUrl} for {ProxyId}: the names it asked for are still being fetched")]
    private static partial void LogIncomplete(ILogger logger, string proxyId, string typeUrl);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delta {TypeUrl} from {ProxyId} carried stale nonce {Nonce} (latest {LatestNonce}); subscription changes applied, ACK ignored")]
    private static partial void LogStaleNonce(ILogger logger, string proxyId, string typeUrl, string nonce, string latestNonce);
}
