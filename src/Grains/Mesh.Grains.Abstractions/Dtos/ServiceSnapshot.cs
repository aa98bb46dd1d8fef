using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>Every resource a service currently owns (clusters, load assignments, proxyless listeners and routes).</summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceSnapshot")]
public sealed record ServiceSnapshot(
    [property: Id(0)] string Host,
    [property: Id(1)] bool Exists,
    [property: Id(2)] ImmutableArray<XdsResource> Resources)
{
    /// <summary>
    /// The version of a set of a service's resources (each by type, name and version), the same
    /// however it is ordered: a gateway renewing its lease sends the version of what it holds and
    /// gets the resources back only if they differ.
    /// </summary>
    public static string VersionOf(IEnumerable<XdsResource> resources) =>
        ContentHash.OfVersions(resources.Select(r => KeyValuePair.Create(r.TypeUrl + "|" + r.Name, r.Version)));
}
