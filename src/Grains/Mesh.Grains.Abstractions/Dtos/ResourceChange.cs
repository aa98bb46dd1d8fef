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

/// <summary>A resource's identity: type URL and name.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ResourceId")]
public readonly record struct ResourceId([property: Id(0)] string TypeUrl, [property: Id(1)] string Name);
