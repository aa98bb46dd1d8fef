using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// The two patch bodies the fake server applies: JSON Patch (RFC 6902: add, replace, remove, test)
/// and JSON merge patch (RFC 7386). A patch that cannot be applied (a missing path, a failed test)
/// is a 422, as the real server answers.
/// </summary>
internal static class KubeJsonPatch
{
    public const string JsonPatch = "application/json-patch+json";
    public const string MergePatch = "application/merge-patch+json";

    public static JsonObject Apply(JsonObject target, string contentType, JsonNode? patch)
    {
        var result = KubeJson.Copy(target);
        switch (contentType)
        {
            case JsonPatch:
                foreach (var op in patch as JsonArray ?? throw Invalid("a JSON patch is an array of operations"))
                {
                    ApplyOne(result, op as JsonObject ?? throw Invalid("a JSON patch operation is an object"));
                }
                return result;
            case MergePatch:
                return Merge(result, patch) as JsonObject ?? throw Invalid("a merge patch of an object is an object");
            default:
                throw new KubeApiException(415, $"the body of the request was in an unknown format - accepted media types include: {JsonPatch}, {MergePatch}", "UnsupportedMediaType");
        }
    }

    private static void ApplyOne(JsonObject root, JsonObject op)
    {
        var kind = KubeJson.String(op["op"]);
        var path = KubeJson.String(op["path"]) ?? throw Invalid("operation has no path");
        var tokens = path.Length == 0 ? [] : path.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        if (tokens.Length == 0)
        {
            throw Invalid($"cannot {kind} the whole document");
        }
        var parent = Walk(root, tokens[..^1], path);
        var last = tokens[^1];
        switch (kind, parent)
        {
            case ("add", JsonObject o):
                o[last] = op["value"]?.DeepClone();
                break;
            case ("add", JsonArray a):
                var at = last == "-" ? a.Count : Index(a, last, path, inclusive: true);
                a.Insert(at, op["value"]?.DeepClone());
                break;
            case ("replace", JsonObject o) when o.ContainsKey(last):
                o[last] = op["value"]?.DeepClone();
                break;
            case ("replace", JsonArray a):
                a[Index(a, last, path, inclusive: false)] = op["value"]?.DeepClone();
                break;
            case ("remove", JsonObject o) when o.ContainsKey(last):
                o.Remove(last);
                break;
            case ("remove", JsonArray a):
                a.RemoveAt(Index(a, last, path, inclusive: false));
                break;
            case ("test", JsonObject o) when o.ContainsKey(last):
                if (!JsonNode.DeepEquals(o[last], op["value"]))
                {
                    throw Invalid($"testing value {path} failed");
                }
                break;
            case ("add" or "replace" or "remove" or "test", _):
                throw Invalid($"{kind} operation does not apply: doc is missing path: \"{path}\"");
            default:
                throw Invalid($"unsupported operation: {kind}");
        }
    }

    private static JsonNode Walk(JsonNode node, string[] tokens, string path)
    {
        foreach (var t in tokens)
        {
            node = node switch
            {
                JsonObject o when o[t] is { } child => child,
                JsonArray a => a[Index(a, t, path, inclusive: false)]!,
                _ => throw Invalid($"doc is missing path: \"{path}\""),
            };
        }
        return node;
    }

    private static int Index(JsonArray array, string token, string path, bool inclusive) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && (i < array.Count || (inclusive && i == array.Count))
            ? i
            : throw Invalid($"index out of bounds at \"{path}\"");

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }
        var result = target as JsonObject ?? [];
        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = Merge(result[key], value);
                result.Remove(key);
                result[key] = merged;
            }
        }
        return result;
    }

    private static KubeApiException Invalid(string message) => new(422, $"the server rejected our request due to an error in our request: {message}", "Invalid");
}
