using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// A gateway's copy of one service's resources, shared by every local stream that needs any of
/// them. <see cref="Resources"/> is swapped atomically, so streams read it without locks.
/// </summary>
internal sealed class ServiceEntry(string host)
{
    public string Host { get; } = host;

    /// <summary>When the first stream needed it (a <see cref="TimeProvider"/> timestamp), for the first fetch's duration.</summary>
    public long Requested { get; init; }

    public volatile ImmutableDictionary<ResourceId, XdsResource>? Resources;

    public readonly HashSet<GrainProxyWatch> Watches = [];

    public bool Loaded => Resources is not null;

    private HeldVersion? _held;

    private sealed record HeldVersion(ImmutableDictionary<ResourceId, XdsResource> Of, string Version);

    /// <summary><see cref="ServiceSnapshot.VersionOf"/> of <paramref name="held"/> (this entry's resources), hashed once per set, not per lease renewal.</summary>
    public string VersionOf(ImmutableDictionary<ResourceId, XdsResource> held)
    {
        if (_held is { } h && ReferenceEquals(h.Of, held))
        {
            return h.Version;
        }
        var version = ServiceSnapshot.VersionOf(held.Values);
        _held = new HeldVersion(held, version);
        return version;
    }

    public XdsResource? Get(string typeUrl, string name) =>
        Resources is { } r && r.TryGetValue(new ResourceId(typeUrl, name), out var res) ? res : null;

    /// <summary>
    /// The resource as a stream in <paramref name="cohort"/> sees it: the variant of the first
    /// rollout of its cohort that has one (null when that variant says the candidate lacks it),
    /// else the baseline.
    /// </summary>
    public XdsResource? Get(string typeUrl, string name, RolloutCohort cohort)
    {
        if (Resources is not { } r)
        {
            return null;
        }
        foreach (var rollout in cohort.Rollouts)
        {
            if (r.TryGetValue(new ResourceId(typeUrl, ResourceId.CandidateName(name, rollout)), out var variant))
            {
                return variant.IsAbsent ? null : variant;
            }
        }
        return r.TryGetValue(new ResourceId(typeUrl, name), out var res) ? res : null;
    }
}
