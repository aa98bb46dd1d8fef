using Mesh.Model.Translation;

namespace Mesh.Grains.Serialization;

/// <summary>Wire form of <see cref="XdsResource"/>: the body travels as raw bytes, never as a message graph.</summary>
[GenerateSerializer, Immutable, Alias("mesh.XdsResource")]
public readonly struct XdsResourceSurrogate
{
    [Id(0)] public string TypeUrl { get; init; }
    [Id(1)] public string Name { get; init; }
    [Id(2)] public string Version { get; init; }
    [Id(3)] public ReadOnlyMemory<byte> Body { get; init; }
    [Id(4)] public string? Rollout { get; init; }
    [Id(5)] public string? LocalityLb { get; init; }
}

/// <summary>Converts <see cref="XdsResource"/> to and from its surrogate.</summary>
[RegisterConverter]
public sealed class XdsResourceSurrogateConverter : IConverter<XdsResource, XdsResourceSurrogate>
{
    public XdsResource ConvertFromSurrogate(in XdsResourceSurrogate surrogate) =>
        new(surrogate.TypeUrl, surrogate.Name, surrogate.Version, surrogate.Body) { Rollout = surrogate.Rollout, LocalityLb = surrogate.LocalityLb };

    public XdsResourceSurrogate ConvertToSurrogate(in XdsResource value) =>
        new() { TypeUrl = value.TypeUrl, Name = value.Name, Version = value.Version, Body = value.Body, Rollout = value.Rollout, LocalityLb = value.LocalityLb };
}
