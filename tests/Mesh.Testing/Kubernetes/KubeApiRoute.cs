namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A resource URL taken apart: <c>/api/v1[/namespaces/{ns}]/{plural}[/{name}]</c> or the same under
/// <c>/apis/{group}/{version}</c>; <c>/api/v1/namespaces/{name}</c> is the cluster-scoped Namespace.
/// <see cref="Served"/> is false for a known kind whose version is stopped (the request gets 404).
/// <see cref="Status"/>: the object's <c>/status</c> subresource (null when the kind has none).
/// </summary>
internal sealed record KubeApiRoute(KubeResourceType Type, string Version, string? Namespace, string? Name, bool Served, bool Status = false)
{
    public string ApiVersion => Type.ApiVersion(Version);

    /// <summary>The route, or null when <paramref name="path"/> names no known kind (discovery, or 404).</summary>
    public static KubeApiRoute? Parse(string path, KubeResourceRegistry registry)
    {
        var (group, version, rest) = path.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
        {
            ["api", var v, .. var r] when r.Length > 0 => ("", v, r),
            ["apis", var g, var v, .. var r] when r.Length > 0 => (g, v, r),
            _ => ("", "", []),
        };
        var status = rest.Length >= 3 && rest[^1] == "status";
        if (status)
        {
            rest = rest[..^1];
        }
        (string Plural, string? Ns, string? Name)? parts = rest switch
        {
            [var plural] => (plural, null, null),
            [var plural, var name] => (plural, null, name),
            ["namespaces", var ns, var plural] => (plural, ns, null),
            ["namespaces", var ns, var plural, var name] => (plural, ns, name),
            _ => null,
        };
        if (parts is not var (pluralName, nsName, objectName))
        {
            return null;
        }

        var type = registry.Types.FirstOrDefault(t => t.Group == group && t.Plural == pluralName && t.Versions.Contains(version));
        if (type is null || (nsName is not null && !type.Namespaced) || (nsName is null && objectName is not null && type.Namespaced)
            || (status && (objectName is null || !type.HasStatus)))
        {
            return null;
        }

        return new(type, version, nsName, objectName, registry.IsServed(type, version), status);
    }
}
