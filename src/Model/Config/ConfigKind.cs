namespace Mesh.Model.Config;

/// <summary>The Kubernetes and Istio kinds Mesh reads.</summary>
public enum ConfigKind
{
    Service,
    EndpointSlice,
    Pod,
    Namespace,
    ServiceEntry,
    WorkloadEntry,
    VirtualService,
    DestinationRule,
    Sidecar,
    Gateway,
    Node, // appended: existing values keep their numbers
    ServiceFence, // Slime's lazy-loading fence (microservice.slime.io / microservice.netease.com)
    RolloutPolicy, // Mesh's staged rollout policy (mesh.dev/v1alpha1)
}
