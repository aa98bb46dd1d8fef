using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Services;

namespace Mesh.Grains.Service;

/// <summary>Persisted state of a <see cref="ServiceGrain"/>: its inputs and the gateways subscribed to it.</summary>
[GenerateSerializer, Alias("mesh.ServiceState")]
public sealed class ServiceState
{
    [Id(0)] public MeshService? Definition { get; set; }
    [Id(1)] public ImmutableArray<ServiceEndpoint> Endpoints { get; set; } = [];
    [Id(2)] public ServiceRouting Routing { get; set; } = ServiceRouting.None;
    // Id 3 (the scopes depending on this service) is retired: scopes learn of view changes through
    // the service's namespace and the silos' catalogs.

    /// <summary>Subscribed gateways, persisted so an activation on another silo (after a crash) keeps pushing to them.</summary>
    [Id(4)] public ImmutableHashSet<IXdsGatewayObserver> Gateways { get; set; } = [];

    /// <summary>A staged rollout's candidate routing, served to its cohort beside the baseline <see cref="Routing"/>; null when none is in flight.</summary>
    [Id(5)] public ServiceCandidate? Candidate { get; set; }
}

/// <summary>Rollout <paramref name="Rollout"/>'s candidate routing for one service.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceCandidate")]
public sealed record ServiceCandidate([property: Id(0)] string Rollout, [property: Id(1)] ServiceRouting Routing);
