using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains.Workload;

/// <summary>Persisted state of a workload: its identity and its gateways (everything else is re-derived).</summary>
[GenerateSerializer, Alias("mesh.WorkloadState")]
public sealed class WorkloadState : Catalog.ICatalogBuiltState<WorkloadIdentity>
{
    [Id(0)] public WorkloadIdentity? Identity { get; set; }

    /// <summary>Subscribed gateways, persisted so an activation on another silo keeps pushing to them.</summary>
    [Id(1)] public ImmutableHashSet<IXdsGatewayObserver> Gateways { get; set; } = [];
}
