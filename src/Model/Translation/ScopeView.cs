using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The input of a sidecar scope build (Istio's SidecarScope): the proxy namespace, the services it
/// sees, and the ports its own workload serves.
/// </summary>
public sealed record ScopeView(
    string Namespace,
    ImmutableArray<ScopeService> Services,
    ImmutableArray<InboundPort> InboundPorts,
    MeshSettings Settings);
