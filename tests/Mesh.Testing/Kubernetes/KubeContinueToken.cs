using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A list continue token shaped like the real one (base64 of <c>{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}</c>),
/// plus the id of the snapshot the pages are cut from, so every page shows the list as of one resource version.
/// </summary>
internal readonly record struct KubeContinueToken(string Snapshot, long ResourceVersion, string LastKey)
{
    public string Encode()
    {
        var json = new JsonObject
        {
            ["v"] = "meta.k8s.io/v1",
            ["rv"] = ResourceVersion,
            ["start"] = LastKey + "\0",
            ["snapshot"] = Snapshot,
        };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public static KubeContinueToken Decode(string token)
    {
        JsonObject? json = null;
        try
        {
            json = JsonNode.Parse(Convert.FromBase64String(token)) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            // Answered below as the real server does: 400, not a 500.
        }

        if (json?["snapshot"] is JsonValue snapshot && snapshot.TryGetValue(out string? id)
            && json["rv"] is JsonValue rv && rv.TryGetValue(out long resourceVersion)
            && json["start"] is JsonValue start && start.TryGetValue(out string? key))
        {
            return new(id, resourceVersion, key.TrimEnd('\0'));
        }

        throw KubeApiException.BadRequest($"continue key is not valid: \"{token}\"");
    }
}
