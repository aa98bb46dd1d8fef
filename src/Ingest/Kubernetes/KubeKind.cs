using System.Collections.Immutable;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// A Kubernetes resource type the ingest watches: its group, the versions tried in order (the
/// first one the API server serves is used), its plural and whether it is namespaced.
/// </summary>
public sealed record KubeKind(string Kind, string Group, ImmutableArray<string> Versions, string Plural, bool Namespaced)
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

    /// <summary>Every kind the ingest watches.</summary>
    public static readonly ImmutableArray<KubeKind> All =
        [Namespace, Node, Service, Pod, EndpointSlice, VirtualService, DestinationRule, Gateway, Sidecar, ServiceEntry, WorkloadEntry];

    /// <summary>An Istio custom resource (networking.istio.io): optional, the cluster may not have its CRDs.</summary>
    public bool IsCustom => Group == "networking.istio.io";

    /// <summary>The resource as RBAC and error messages name it: <c>services</c>, <c>virtualservices.networking.istio.io</c>.</summary>
    public string Resource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    public override string ToString() => Kind;

    private static KubeKind Istio(string kind, string plural) => new(kind, "networking.istio.io", IstioVersions, plural, true);
}
