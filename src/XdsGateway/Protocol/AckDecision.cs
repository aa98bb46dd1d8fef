using System.Collections.Immutable;
using Envoy.Service.Discovery.V3;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Classifies a SotW request against the stream's state for its type, modelled on Istio's
/// <c>ShouldRespond</c> (pkg/xds/server.go). Pure: no I/O, no clock.
/// See https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-and-nack-semantics-summary.
/// </summary>
public static class AckDecision
{
    /// <param name="previous">The stream's state for the type, or null if it has none (first request).</param>
    /// <param name="request">The request; its type URL must match <paramref name="previous"/>.</param>
    public static AckResult Evaluate(WatchedResource? previous, DiscoveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = previous ?? new WatchedResource(request.TypeUrl);
        // An ACK repeats the names it subscribed to: keep the set the stream already holds rather
        // than building a new one per ACK (50 EDS names × 20,000 streams × every push).
        var names = SameNames(state.ResourceNames, request.ResourceNames)
            ? state.ResourceNames
            : NameSets.Of(request.ResourceNames);

        // a NACK is recognised by error_detail, never by comparing versions. Record and do not
        // answer: the same config would only be rejected again.
        if (request.ErrorDetail is not null)
        {
            return new(AckKind.Nack, false, state with
            {
                NonceNacked = request.ResponseNonce,
                LastError = request.ErrorDetail.Message,
            });
        }

        var subscribed = WithNames(state, names);

        // Istio: an empty nonce or no state for the type is INIT or RECONNECT, always answered.
        if (previous is null || request.ResponseNonce.Length == 0)
        {
            var kind = request.ResponseNonce.Length == 0 ? AckKind.Initial : AckKind.Reconnect;
            return new(kind, true, subscribed);
        }

        // a response carrying an older nonce is superseded; the client will ACK the newer one.
        if (request.ResponseNonce != state.NonceSent)
        {
            return new(AckKind.StaleNonce, false, state);
        }

        var acked = subscribed with
        {
            NonceAcked = request.ResponseNonce,
            VersionAcked = request.VersionInfo,
            LastError = null,
            AlwaysRespond = false,
        };

        // the EDS request after a CDS push looks like an ACK but must be answered.
        if (state.AlwaysRespond)
        {
            return new(AckKind.Ack, true, acked);
        }

        // newly requested names must be sent even if unchanged. Dropping every name of a
        // named type (EDS/RDS) is an unsubscribe, which needs no answer.
        var namesChanged = !state.ResourceNames.SetEquals(names) || state.SubscribedExplicitly != subscribed.SubscribedExplicitly;
        var unsubscribeAll = names.IsEmpty && !TypeUrls.SupportsWildcard(state.TypeUrl);
        return new(AckKind.Ack, namesChanged && !unsubscribeAll, acked);
    }

    /// <summary>The request names, as a set, equal <paramref name="held"/> (duplicates in the request allowed).</summary>
    private static bool SameNames(ImmutableHashSet<string> held, Google.Protobuf.Collections.RepeatedField<string> requested)
    {
        if (requested.Count < held.Count)
        {
            return false;
        }
        foreach (var name in requested)
        {
            if (!held.Contains(name))
            {
                return false;
            }
        }
        // Every requested name is held; they cover the set unless duplicates hide a missing one.
        return requested.Distinct(StringComparer.Ordinal).Count() == held.Count;
    }

    private static WatchedResource WithNames(WatchedResource state, ImmutableHashSet<string> names) => state with
    {
        ResourceNames = names,
        SubscribedExplicitly = state.SubscribedExplicitly || !names.IsEmpty,
    };
}
