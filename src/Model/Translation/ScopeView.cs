using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The input of a sidecar scope build (Istio's SidecarScope): the proxy namespace, the services it
/// sees, and the ports its own workload serves. <paramref name="Lazy"/>: the scope is fenced, and
/// what its services do not cover goes to the lazy egress (<see cref="MeshSettings.LazyEgress"/>),
/// marked with <paramref name="LazySource"/> (the fence, <c>NAMESPACE/SERVICE</c>) in the
/// <c>x-mesh-lazy-source</c> header, which the egress logs back to Mesh so the fence learns the host.
/// </summary>
public sealed record ScopeView(
    string Namespace,
    ImmutableArray<ScopeService> Services,
    ImmutableArray<InboundPort> InboundPorts,
    MeshSettings Settings,
    bool Lazy = false,
    string? LazySource = null);
