using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// Resources an owner grain added, changed or removed: <c>(type URL, name, version, bytes)</c> and
/// removals by (type URL, name). Never protobuf object graphs.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ResourceChange")]
public sealed record ResourceChange(
    [property: Id(0)] string Owner,
    [property: Id(1)] ImmutableArray<XdsResource> Updated,
    [property: Id(2)] ImmutableArray<ResourceId> Removed);

/// <summary>
/// A resource's identity: type URL and name. A rollout's candidate variant of a resource is held
/// beside the baseline under <see cref="CandidateName"/> (the name, a NUL, the rollout id: never a
/// real resource name).
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ResourceId")]
public readonly record struct ResourceId([property: Id(0)] string TypeUrl, [property: Id(1)] string Name)
{
    private const char Separator = '\0';

    /// <summary>The id <paramref name="resource"/> is held under: its name, or its candidate name when it is a rollout's variant.</summary>
    public static ResourceId Of(XdsResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new(resource.TypeUrl, resource.Rollout is { } rollout ? CandidateName(resource.Name, rollout) : resource.Name);
    }

    /// <summary>Where <paramref name="rollout"/>'s variant of <paramref name="name"/> is held.</summary>
    public static string CandidateName(string name, string rollout) => string.Concat(name, "\0", rollout);

    /// <summary>Whether this is a candidate variant's id.</summary>
    public bool IsCandidate => Name.Contains(Separator, StringComparison.Ordinal);

    /// <summary>The resource this id is a variant of (itself for a baseline id).</summary>
    public ResourceId Base => Name.IndexOf(Separator, StringComparison.Ordinal) is var i and >= 0 ? new(TypeUrl, Name[..i]) : this;
}
