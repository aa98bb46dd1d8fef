namespace Mesh.Grains.Dtos;

/// <summary>What a ProxyGrain answers on connect: which scope (if any) serves the proxy.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ProxyAssignment")]
public sealed record ProxyAssignment(
    [property: Id(0)] string? ScopeKey,
    [property: Id(1)] ScopeIdentity? Scope);
