using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A change to one service from the source of truth. Each part is optional: null means unchanged,
/// so an endpoint-only change carries only <see cref="Endpoints"/> (incremental EDS).
/// <see cref="Removed"/> deletes the service and everything built from it. <see cref="WriterEpoch"/>
/// is the writer's fence epoch (<see cref="IWriterFenceGrain"/>); 0 is an unfenced writer.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceUpdate")]
public sealed record ServiceUpdate
{
    [Id(0)] public bool Removed { get; init; }
    [Id(1)] public MeshService? Definition { get; init; }
    [Id(2)] public ImmutableArray<ServiceEndpoint>? Endpoints { get; init; }
    [Id(3)] public ServiceRouting? Routing { get; init; }
    [Id(4)] public long WriterEpoch { get; init; }

    /// <summary>The RolloutPolicy that governs <see cref="Routing"/>'s change, if any: the service proposes the change to it instead of applying it.</summary>
    [Id(5)] public Model.Config.RolloutPolicy? RolloutPolicy { get; init; }
}

/// <summary>The routing config that applies to a service: its DestinationRule and mesh VirtualServices.</summary>
[GenerateSerializer, Immutable, Alias("mesh.ServiceRouting")]
public sealed record ServiceRouting(
    [property: Id(0)] DestinationRule? DestinationRule,
    [property: Id(1)] ImmutableArray<VirtualService> VirtualServices)
{
    public static readonly ServiceRouting None = new(null, ImmutableArray<VirtualService>.Empty);

    /// <summary>Its DestinationRule, then its VirtualServices: the order in which the first governed one picks the RolloutPolicy.</summary>
    public IEnumerable<ConfigObject> Objects() =>
        (DestinationRule is { } dr ? new ConfigObject[] { dr } : []).Concat(VirtualServices.IsDefault ? [] : VirtualServices);
}
