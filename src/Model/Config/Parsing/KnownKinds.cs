using System.Collections.Frozen;

namespace Mesh.Model.Config.Parsing;

/// <summary>The <c>(apiVersion, kind)</c> pairs Mesh reads, each with its reader and whether it is namespaced.</summary>
internal static class KnownKinds
{
    public delegate ConfigObject Reader(YamlCursor root, ObjectMeta meta);

    /// <summary>
    /// Whether every field of the kind's <c>spec</c> is meant to be read, so a field no reader looked
    /// up is one Mesh does not translate (reported). Kubernetes' own kinds carry much Mesh never needs.
    /// </summary>
    public static bool ReportsUnread(string kind) => kind is not ("Service" or "Pod" or "Namespace" or "EndpointSlice");

    private static readonly string[] IstioVersions = ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"];

    private static readonly FrozenDictionary<(string ApiVersion, string Kind), (Reader Read, bool Namespaced)> Readers = Build();

    public static bool TryGet(string apiVersion, string kind, out Reader read, out bool namespaced)
    {
        var found = Readers.TryGetValue((apiVersion, kind), out var entry);
        (read, namespaced) = found ? entry : (null!, false);
        return found;
    }

    /// <summary>The apiVersions supported for <paramref name="kind"/>, empty when the kind is unknown.</summary>
    public static IEnumerable<string> VersionsOf(string kind) =>
        Readers.Keys.Where(k => string.Equals(k.Kind, kind, StringComparison.Ordinal)).Select(k => k.ApiVersion).Order(StringComparer.Ordinal);

    private static FrozenDictionary<(string, string), (Reader, bool)> Build()
    {
        var readers = new Dictionary<(string, string), (Reader, bool)>
        {
            [("v1", "Service")] = (KubernetesReaders.ReadService, true),
            [("v1", "Pod")] = (KubernetesReaders.ReadPod, true),
            [("v1", "Namespace")] = (KubernetesReaders.ReadNamespace, false),
            [("discovery.k8s.io/v1", "EndpointSlice")] = (EndpointSliceReader.Read, true),
            [(RolloutPolicy.ApiVersion, "RolloutPolicy")] = (RolloutPolicyReader.Read, true),
        };
        foreach (var version in ServiceFence.ApiVersions)
        {
            readers[(version, "ServiceFence")] = (ServiceFenceReader.Read, true);
        }
        foreach (var version in IstioVersions)
        {
            readers[(version, "ServiceEntry")] = (ServiceEntryReader.ReadServiceEntry, true);
            readers[(version, "WorkloadEntry")] = (ServiceEntryReader.ReadWorkloadEntry, true);
            readers[(version, "VirtualService")] = (VirtualServiceReader.Read, true);
            readers[(version, "DestinationRule")] = (DestinationRuleReader.Read, true);
            readers[(version, "Sidecar")] = (SidecarReader.Read, true);
            readers[(version, "Gateway")] = (GatewayReader.Read, true);
        }
        return readers.ToFrozenDictionary();
    }
}
