using System.Collections.Immutable;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Delta;

/// <summary>One delta stream's state for one type: the subscription and what the client holds.</summary>
internal sealed class DeltaTypeState(string typeUrl) : IHeldTypeState
{
    public string TypeUrl { get; } = typeUrl;

    /// <summary>Subscribed to <c>"*"</c>, explicitly or as the legacy wildcard .</summary>
    public bool Wildcard { get; set; }

    /// <summary>Explicitly subscribed names: a set shared with every stream subscribing to the same names.</summary>
    public ImmutableHashSet<string> Names { get; set; } = NameSets.Empty;

    /// <summary>Name → version the client holds: from <c>initial_resource_versions</c> (X-38), then what was sent.</summary>
    public Dictionary<string, string> Known { get; } = new(StringComparer.Ordinal);

    /// <summary>Names to answer even if the client has them .</summary>
    public HashSet<string> Force { get; } = new(StringComparer.Ordinal);

    /// <summary>The first request for the type gets a response even if it is empty.</summary>
    public bool RespondOnce { get; set; } = true;

    public Subscription? Applied { get; set; }

    public string NonceSent { get; set; } = "";

    public string VersionSent { get; set; } = "";

    public bool InFlight { get; set; }

    public bool Dirty { get; set; }

    /// <inheritdoc />
    public bool Incomplete { get; set; }

    /// <inheritdoc />
    public bool Settled => !RespondOnce && !InFlight && !Dirty && Force.Count == 0 && !Incomplete;

    public ResolvedResources? LastResolved { get; set; }

    /// <summary>
    /// A complete set whose names and versions <see cref="Known"/> holds exactly, or null when that
    /// is not known (a subscription change or <c>initial_resource_versions</c> edited it). While set,
    /// the next response is that set's diff to the new one, computed once for every stream making
    /// the same move instead of comparing each stream's whole <see cref="Known"/>.
    /// </summary>
    public ResolvedResources? KnownIs { get; set; }

    public Subscription ToSubscription() => new(Wildcard, Names);
}
