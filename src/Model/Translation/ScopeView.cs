using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The input of a sidecar scope build (Istio's SidecarScope): the proxy namespace, the services it
/// sees, and the ports its own workload serves. <paramref name="Fence"/> (<c>NAMESPACE/SERVICE</c>):
/// the scope is fenced, and what its services do not cover goes to the lazy egress
/// (<see cref="MeshSettings.LazyEgress"/>), marked with the fence in the <c>x-mesh-lazy-source</c>
/// header, which the egress logs back to Mesh so the fence learns the host.
/// </summary>
public sealed record ScopeView(
    string Namespace,
    ImmutableArray<ScopeService> Services,
    ImmutableArray<InboundPort> InboundPorts,
    MeshSettings Settings,
    string? Fence = null)
{
    /// <summary>The scope is fenced (lazy): what its services do not cover goes to the lazy egress.</summary>
    public bool Lazy => Fence is not null;
}
