using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>Every resource a service currently owns (clusters, load assignments, proxyless listeners and routes).</summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceSnapshot")]
public sealed record ServiceSnapshot(
    [property: Id(0)] string Host,
    [property: Id(1)] bool Exists,
    [property: Id(2)] ImmutableArray<XdsResource> Resources);
