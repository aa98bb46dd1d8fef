using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// What one SotW stream knows about one type (Istio's <c>WatchedResource</c>): the names the client
/// asked for, the last response sent, the last ACK and NACK. Immutable; <see cref="AckDecision"/>
/// returns the next value.
/// </summary>
public sealed record WatchedResource(string TypeUrl)
{
    /// <summary>The client's latest <c>resource_names</c>, as sent (may contain <c>"*"</c>).</summary>
    public ImmutableHashSet<string> ResourceNames { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>True once any request of this type carried names (X-18: ends the legacy wildcard).</summary>
    public bool SubscribedExplicitly { get; init; }

    public string NonceSent { get; init; } = "";

    public string VersionSent { get; init; } = "";

    public string NonceAcked { get; init; } = "";

    public string VersionAcked { get; init; } = "";

    public string NonceNacked { get; init; } = "";

    /// <summary>The error detail of the last NACK, cleared by the next ACK.</summary>
    public string? LastError { get; init; }

    /// <summary>Answer the next ACK-looking request anyway: set on EDS after a CDS push .</summary>
    public bool AlwaysRespond { get; init; }

    /// <summary>
    /// The subscription the names mean: for Listener and Cluster, no names ever sent
    /// is the legacy wildcard and <c>"*"</c> is the wildcard; once names were sent, empty means none.
    /// </summary>
    public Subscription ToSubscription()
    {
        if (!TypeUrls.SupportsWildcard(TypeUrl))
        {
            return new Subscription(false, ResourceNames);
        }

        if (!SubscribedExplicitly)
        {
            return Subscription.WildcardOnly;
        }

        return ResourceNames.Contains(Subscription.WildcardName)
            ? new Subscription(true, ResourceNames.Remove(Subscription.WildcardName))
            : new Subscription(false, ResourceNames);
    }
}
