using System.Collections.Immutable;
using System.Text.Json;
using k8s.Models;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Translation;
using Mesh.Model.Validation;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Turns what the API server returns into <see cref="KubeItem"/>s. The core kinds map field by field
/// from KubernetesClient's typed models (Pods and EndpointSlices are the bulk of a cluster; no
/// re-parsing); the Istio kinds go through the same parser and validator as manifests, so an invalid
/// VirtualService is rejected with the same kind/namespace/name/field/reason.
/// </summary>
internal static class KubeObjects
{
    private static readonly JsonSerializerOptions ContentJson = new() { WriteIndented = false };
    private static readonly ImmutableSortedDictionary<string, string> NoLabels = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public static KubeItem FromService(V1Service s) => Item(s.Metadata, new KubeService(
        Meta(s.Metadata, annotations: true),
        s.Spec?.Type ?? "ClusterIP",
        s.Spec?.ClusterIP,
        Map(s.Spec?.Selector),
        [.. (s.Spec?.Ports ?? []).Select(p => new ServicePort(p.Name, p.Port, p.TargetPort?.Value, p.Protocol ?? "TCP", p.AppProtocol))]));

    public static KubeItem FromPod(V1Pod p)
    {
        var sa = p.Spec?.ServiceAccountName ?? p.Spec?.ServiceAccount;
        // Annotations and status conditions are not read: a Pod's heartbeat is no change.
        return Item(p.Metadata, new Pod(
            Meta(p.Metadata, annotations: false),
            p.Status?.PodIP,
            string.IsNullOrEmpty(sa) ? "default" : sa,
            p.Spec?.NodeName,
            p.Status?.Phase ?? "Pending"));
    }

    public static KubeItem FromNamespace(V1Namespace n) => Item(n.Metadata, new NamespaceObject(Meta(n.Metadata, annotations: false) with { Namespace = "" }));

    /// <summary>A Node keeps only its locality labels: its status heartbeats and other labels are no change.</summary>
    public static KubeItem FromNode(V1Node n)
    {
        var labels = n.Metadata?.Labels;
        var locality = labels is null ? NoLabels : NoLabels.AddRange(NodeObject.LocalityLabels
            .Where(labels.ContainsKey)
            .Select(k => KeyValuePair.Create(k, labels[k])));
        return Item(n.Metadata, new NodeObject(new ObjectMeta(n.Metadata?.Name ?? "", "", locality, NoLabels)));
    }

    public static KubeItem FromEndpointSlice(V1EndpointSlice s)
    {
        var meta = Meta(s.Metadata, annotations: false);
        return Item(s.Metadata, new EndpointSlice(
            meta,
            meta.Labels.GetValueOrDefault(EndpointSlice.ServiceNameLabel, ""),
            s.AddressType ?? "",
            [.. (s.Ports ?? []).Select(p => new EndpointSlicePort(p.Name, p.Port, p.Protocol ?? "TCP", p.AppProtocol))],
            [.. (s.Endpoints ?? []).Select(e => new SliceEndpoint(
                [.. e.Addresses ?? []],
                e.Conditions?.Ready,
                e.Conditions?.Serving,
                e.Conditions?.Terminating,
                e.TargetRef is { } r ? new ObjectReference(r.Kind ?? "", string.IsNullOrEmpty(r.NamespaceProperty) ? meta.Namespace : r.NamespaceProperty, r.Name ?? "", r.Uid) : null,
                e.NodeName,
                e.Zone))]));
    }

    /// <summary>An Istio custom resource as the API server sent it (JSON, with apiVersion and kind).</summary>
    public static KubeItem FromCustom(KubeKind kind, JsonElement obj)
    {
        var metadata = obj.TryGetProperty("metadata", out var m) ? m : default;
        var ns = Str(metadata, "namespace") ?? "";
        var name = Str(metadata, "name") ?? "";
        var uid = Str(metadata, "uid") ?? "";
        var rv = Str(metadata, "resourceVersion") ?? "";
        var source = $"{kind.Plural}/{ns}/{name}";
        var parsed = ManifestParser.Parse(obj.GetRawText(), source);
        if (!parsed.Errors.IsDefaultOrEmpty || parsed.Objects.Length != 1)
        {
            var errors = parsed.Errors.IsDefaultOrEmpty
                ? [new ConfigError(source, kind.Kind, ns, name, "", "the API server returned an object the parser could not read")]
                : parsed.Errors;
            return Rejected(ns, name, uid, rv, errors);
        }
        var parsedObject = parsed.Objects[0];
        var problems = ConfigValidator.Validate(parsedObject, source);
        if (!problems.IsDefaultOrEmpty)
        {
            return Rejected(ns, name, uid, rv, problems);
        }
        var clean = parsedObject with { Meta = parsedObject.Meta with { Uid = null, ResourceVersion = null } };
        return new KubeItem(ns, name, uid, rv, clean, [], Hash(clean));
    }

    /// <summary>The resourceVersion of a custom resource or of a bookmark.</summary>
    public static string? ResourceVersionOf(JsonElement obj) =>
        obj.TryGetProperty("metadata", out var m) ? Str(m, "resourceVersion") : null;

    private static KubeItem Rejected(string ns, string name, string uid, string rv, ImmutableArray<ConfigError> errors) =>
        new(ns, name, uid, rv, null, errors, "rejected:" + ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', errors))));

    private static KubeItem Item(V1ObjectMeta? metadata, ConfigObject obj) =>
        new(obj.Meta.Namespace, obj.Meta.Name, metadata?.Uid ?? "", metadata?.ResourceVersion ?? "", obj, [], Hash(obj));

    private static ObjectMeta Meta(V1ObjectMeta? m, bool annotations) => new(
        m?.Name ?? "",
        m?.NamespaceProperty ?? "",
        Map(m?.Labels),
        annotations ? Map(m?.Annotations) : NoLabels);

    private static ImmutableSortedDictionary<string, string> Map(IDictionary<string, string>? map) =>
        map is null || map.Count == 0 ? NoLabels : map.ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>Hash of the object's effective content (its runtime type's JSON form).</summary>
    private static string Hash(ConfigObject obj) => ContentHash.Of(JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), ContentJson));

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
