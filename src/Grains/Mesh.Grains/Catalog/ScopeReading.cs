using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Translation;

namespace Mesh.Grains.Catalog;

/// <summary>What a sidecar or proxyless scope read from its silo's catalog for one build.</summary>
/// <param name="SidecarMissing">The scope's Sidecar or ServiceFence is gone from its namespace: its workloads are moving to another scope.</param>
/// <param name="Sidecar">The Sidecar that applies, or null for none.</param>
/// <param name="Services">The scope views of the services it sees, by (namespace, hostname).</param>
/// <param name="Fence">The ServiceFence that fences the scope, or null when it is not lazy.</param>
/// <param name="Candidates">Staged rollouts' candidate views of the services read, by rollout then host: what the scope's variants are built from.</param>
internal sealed record ScopeReading(bool SidecarMissing, Sidecar? Sidecar, ImmutableArray<ScopeService> Services, ServiceFence? Fence = null,
    ImmutableSortedDictionary<string, ImmutableDictionary<string, ScopeService>>? Candidates = null);

/// <summary>What a router scope read: the Gateways selecting it, their VirtualServices and the destinations' ports.</summary>
internal sealed record RouterReading(
    ImmutableArray<Gateway> Gateways,
    ImmutableArray<VirtualService> VirtualServices,
    ImmutableSortedDictionary<string, ImmutableArray<Model.Services.MeshServicePort>> Ports);
