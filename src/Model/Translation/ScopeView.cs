using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The input of a sidecar scope build (Istio's SidecarScope): the proxy namespace, the services it
/// sees, and the ports its own workload serves. <paramref name="Lazy"/>: the scope is fenced, and
/// what its services do not cover goes to the lazy egress (<see cref="MeshSettings.LazyEgress"/>).
/// </summary>
public sealed record ScopeView(
    string Namespace,
    ImmutableArray<ScopeService> Services,
    ImmutableArray<InboundPort> InboundPorts,
    MeshSettings Settings,
    bool Lazy = false);
