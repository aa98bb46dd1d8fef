using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>What a service tells the scopes that see it (ports, VIPs, cluster names, virtual hosts); null service = gone.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceScopeView")]
public sealed record ServiceScopeView(
    [property: Id(0)] string Host,
    [property: Id(1)] string Version,
    [property: Id(2)] ScopeService? Service);
