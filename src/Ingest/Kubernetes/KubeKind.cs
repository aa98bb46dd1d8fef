using System.Collections.Immutable;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// A Kubernetes resource type the ingest watches: its group, the versions tried in order (the
/// first one the API server serves is used), its plural and whether it is namespaced.
/// </summary>
/// <param name="Kind">The object kind (<c>Service</c>, <c>ServiceFence</c>).</param>
/// <param name="Group">Its API group (empty for the core group).</param>
/// <param name="Versions">The versions tried in order.</param>
/// <param name="Plural">Its URL plural.</param>
/// <param name="Namespaced">Whether its objects live in namespaces.</param>
/// <param name="Display">How logs, metrics and /debug/ingestz name it when <see cref="Kind"/> alone is ambiguous (one kind in two groups).</param>
public sealed record KubeKind(string Kind, string Group, ImmutableArray<string> Versions, string Plural, bool Namespaced, string? Display = null)
{
    private static readonly ImmutableArray<string> IstioVersions = ["v1", "v1beta1", "v1alpha3"];

    public static readonly KubeKind Namespace = new("Namespace", "", ["v1"], "namespaces", false);
    public static readonly KubeKind Node = new("Node", "", ["v1"], "nodes", false);
    public static readonly KubeKind Service = new("Service", "", ["v1"], "services", true);
    public static readonly KubeKind Pod = new("Pod", "", ["v1"], "pods", true);
    public static readonly KubeKind EndpointSlice = new("EndpointSlice", "discovery.k8s.io", ["v1"], "endpointslices", true);
    public static readonly KubeKind VirtualService = Istio("VirtualService", "virtualservices");
    public static readonly KubeKind DestinationRule = Istio("DestinationRule", "destinationrules");
    public static readonly KubeKind Gateway = Istio("Gateway", "gateways");
    public static readonly KubeKind Sidecar = Istio("Sidecar", "sidecars");
    public static readonly KubeKind ServiceEntry = Istio("ServiceEntry", "serviceentries");
    public static readonly KubeKind WorkloadEntry = Istio("WorkloadEntry", "workloadentries");

    /// <summary>Slime's ServiceFence, in its current group.</summary>
    public static readonly KubeKind ServiceFence = new("ServiceFence", "microservice.slime.io", ["v1alpha1"], "servicefences", true);

    /// <summary>Slime's ServiceFence in its older group, still installed by older Slime releases.</summary>
    public static readonly KubeKind ServiceFenceNetease = new("ServiceFence", "microservice.netease.com", ["v1alpha1"], "servicefences", true, "ServiceFence.microservice.netease.com");

    /// <summary>Mesh's own staged rollout policy (<c>deploy/k8s/crds.yaml</c>).</summary>
    public static readonly KubeKind RolloutPolicy = new("RolloutPolicy", "mesh.dev", ["v1alpha1"], "rolloutpolicies", true);

    /// <summary>Every kind the ingest watches.</summary>
    public static readonly ImmutableArray<KubeKind> All =
        [Namespace, Node, Service, Pod, EndpointSlice, VirtualService, DestinationRule, Gateway, Sidecar, ServiceEntry, WorkloadEntry, ServiceFence, ServiceFenceNetease, RolloutPolicy];

    /// <summary>A custom resource (Istio's networking.istio.io, Slime's ServiceFence, Mesh's mesh.dev): optional, the cluster may not have its CRDs.</summary>
    public bool IsCustom => Group is "networking.istio.io" or "microservice.slime.io" or "microservice.netease.com" or "mesh.dev";

    /// <summary>The kind's name in logs, metrics and status: <see cref="Kind"/>, or <see cref="Display"/> when set.</summary>
    public string Name => Display ?? Kind;

    /// <summary>The resource as RBAC and error messages name it: <c>services</c>, <c>virtualservices.networking.istio.io</c>.</summary>
    public string Resource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    public override string ToString() => Name;

    private static KubeKind Istio(string kind, string plural) => new(kind, "networking.istio.io", IstioVersions, plural, true);
}
