using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// Discovery documents for the served kinds: <c>/version</c>, <c>/api</c>, <c>/api/v1</c>, <c>/apis</c>,
/// <c>/apis/{group}</c> and <c>/apis/{group}/{version}</c>. A stopped version is left out, so a client
/// probing for a CRD sees it missing.
/// </summary>
internal static class KubeDiscovery
{
    private static readonly string[] Verbs = ["create", "delete", "get", "list", "update", "watch"];

    /// <summary>The document at <paramref name="path"/>, or null when there is none (404).</summary>
    public static JsonObject? Describe(string path, KubeResourceRegistry registry) => path.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
    {
        ["version"] => new JsonObject { ["major"] = "1", ["minor"] = "34", ["gitVersion"] = "v1.34.0-fake", ["platform"] = "linux/amd64" },
        ["api"] => new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() },
        ["api", var version] => Resources(registry, "", version),
        ["apis"] => new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray([.. registry.Types.Select(t => t.Group).Where(g => g.Length > 0).Distinct().Select(g => Group(registry, g)).OfType<JsonNode>()]),
        },
        ["apis", var group] => Group(registry, group),
        ["apis", var group, var version] => Resources(registry, group, version),
        _ => null,
    };

    private static JsonObject? Group(KubeResourceRegistry registry, string group)
    {
        var versions = registry.Types.Where(t => t.Group == group)
            .SelectMany(t => t.Versions.Where(v => registry.IsServed(t, v)))
            .Distinct()
            .Select(v => new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v })
            .ToList();
        return versions.Count == 0 ? null : new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray([.. versions]),
            ["preferredVersion"] = versions[0].DeepClone(),
        };
    }

    private static JsonObject? Resources(KubeResourceRegistry registry, string group, string version)
    {
        var resources = registry.Types.Where(t => t.Group == group && t.Versions.Contains(version) && registry.IsServed(t, version))
            .Select(t => new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Kind.ToLowerInvariant(),
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray([.. Verbs.Select(v => JsonValue.Create(v))]),
            })
            .ToList();
        return resources.Count == 0 ? null : new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = new JsonArray([.. resources]),
        };
    }
}
