namespace Mesh.Grains.Dtos;

/// <summary>A host a fence learned: how (<c>admin</c>, <c>odcds</c>, <c>accesslog</c>, <c>proxyless</c>) and when it was first and last seen.</summary>
[GenerateSerializer, Immutable, Alias("mesh.LearnedHost")]
public sealed record LearnedHost(
    [property: Id(0)] string Host,
    [property: Id(1)] string Source,
    [property: Id(2)] DateTimeOffset FirstSeen,
    [property: Id(3)] DateTimeOffset LastSeen);
