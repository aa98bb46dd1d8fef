using System.Collections.Immutable;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A kind <see cref="FakeKubeApiServer"/> serves: its API group, the versions it is served at (the
/// first is preferred; all share one storage, as a CRD's versions do), its URL plural and its scope.
/// Built-in kinds list their items without <c>kind</c>/<c>apiVersion</c>; custom resources, being
/// unstructured on the real server, keep them.
/// </summary>
/// <remarks><see cref="HasStatus"/>: its objects have a <c>status</c> subresource (a CRD declaring <c>subresources: {status: {}}</c>); without it <c>/status</c> is a 404.</remarks>
public sealed record KubeResourceType(string Group, ImmutableArray<string> Versions, string Plural, string Kind, bool Namespaced, bool IsCustomResource = false, bool HasStatus = false)
{
    /// <summary>The kinds the mesh ingest watches.</summary>
    public static ImmutableArray<KubeResourceType> MeshDefaults { get; } =
    [
        new("", ["v1"], "namespaces", "Namespace", Namespaced: false),
        new("", ["v1"], "nodes", "Node", Namespaced: false),
        new("", ["v1"], "services", "Service", Namespaced: true),
        new("", ["v1"], "pods", "Pod", Namespaced: true),
        new("discovery.k8s.io", ["v1"], "endpointslices", "EndpointSlice", Namespaced: true),
        new("coordination.k8s.io", ["v1"], "leases", "Lease", Namespaced: true),
        Istio("virtualservices", "VirtualService"),
        Istio("destinationrules", "DestinationRule"),
        Istio("gateways", "Gateway"),
        Istio("sidecars", "Sidecar"),
        Istio("serviceentries", "ServiceEntry"),
        Istio("workloadentries", "WorkloadEntry"),
        new("microservice.slime.io", ["v1alpha1"], "servicefences", "ServiceFence", Namespaced: true, IsCustomResource: true, HasStatus: true),
        new("microservice.netease.com", ["v1alpha1"], "servicefences", "ServiceFence", Namespaced: true, IsCustomResource: true, HasStatus: true),
        new("mesh.dev", ["v1alpha1"], "rolloutpolicies", "RolloutPolicy", Namespaced: true, IsCustomResource: true),
    ];

    public string PreferredVersion => Versions[0];

    public string ListKind => Kind + "List";

    /// <summary>The resource as error messages name it: <c>services</c>, <c>leases.coordination.k8s.io</c>.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    private static KubeResourceType Istio(string plural, string kind) =>
        new("networking.istio.io", ["v1", "v1beta1", "v1alpha3"], plural, kind, Namespaced: true, IsCustomResource: true);
}
