namespace Mesh.Model.Translation;

/// <summary>
/// A built, serialized xDS resource: the unit that crosses grain boundaries and is shared by every
/// proxy that sees it. <see cref="Version"/> is a content hash of <see cref="Body"/>.
/// <see cref="Rollout"/> is null for the baseline; a staged rollout's candidate variant of a
/// resource carries the rollout's id (and is served only to that rollout's cohort), and a variant
/// that is <see cref="IsAbsent"/> says the candidate has no such resource.
/// </summary>
public sealed record XdsResource(string TypeUrl, string Name, string Version, ReadOnlyMemory<byte> Body)
{
    /// <summary>The rollout whose candidate this variant is; null for the baseline.</summary>
    public string? Rollout { get; init; }

    /// <summary>
    /// A load assignment's locality plan (<see cref="LocalityLbPlan.Encode"/>), null for none: each
    /// gateway applies it per proxy locality before sending (<see cref="LocalityLoadBalancing.Adapt"/>);
    /// <see cref="Version"/> covers it.
    /// </summary>
    public string? LocalityLb { get; init; }

    /// <summary>A candidate's marker that the resource does not exist in the candidate.</summary>
    public bool IsAbsent => Rollout is not null && Version.Length == 0;

    /// <summary>The marker that <paramref name="rollout"/>'s candidate lacks the resource <paramref name="typeUrl"/>/<paramref name="name"/>.</summary>
    public static XdsResource Absent(string typeUrl, string name, string rollout) => new(typeUrl, name, "", ReadOnlyMemory<byte>.Empty) { Rollout = rollout };

    /// <summary>Wraps a message: serializes once and names the version by content hash.</summary>
    public static XdsResource From(string typeUrl, string name, Google.Protobuf.IMessage message)
    {
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(message);
        return new(typeUrl, name, ContentHash.Of(bytes), bytes);
    }

    public bool Equals(XdsResource? other) =>
        other is not null && TypeUrl == other.TypeUrl && Name == other.Name && Version == other.Version && Rollout == other.Rollout;

    public override int GetHashCode() => HashCode.Combine(TypeUrl, Name, Version, Rollout);
}
