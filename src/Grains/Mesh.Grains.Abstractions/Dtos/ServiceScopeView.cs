using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What a service tells the scopes that see it (ports, VIPs, cluster names, virtual hosts); null
/// service = gone. While a staged rollout's candidate is in flight, <see cref="Candidate"/> is the
/// view built from it (<see cref="CandidateRollout"/>: its rollout), from which scopes build the
/// variants of the routes and listeners it changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceScopeView")]
public sealed record ServiceScopeView(
    [property: Id(0)] string Host,
    [property: Id(1)] string Version,
    [property: Id(2)] ScopeService? Service)
{
    [Id(3)] public string? CandidateRollout { get; init; }

    [Id(4)] public ScopeService? Candidate { get; init; }
}
