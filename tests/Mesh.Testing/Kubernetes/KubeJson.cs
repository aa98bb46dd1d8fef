using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>JSON helpers for stored objects, which are deep copies never mutated once stored.</summary>
internal static class KubeJson
{
    /// <summary>Escapes only what JSON requires (<c>\"</c>, not <c>\u0022</c>), as Go's encoder does for these bodies.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A deep copy whose objects and arrays are all built eagerly. A parsed <see cref="JsonObject"/>
    /// fills its dictionary lazily on first read, which is not safe from several threads; stored
    /// objects are read concurrently by list requests and watch writers.
    /// </summary>
    public static JsonObject Copy(JsonObject source) => (JsonObject)CopyNode(source)!;

    /// <summary>Writes <paramref name="obj"/> with <c>kind</c>/<c>apiVersion</c> first when given, and without them otherwise.</summary>
    public static void Write(Utf8JsonWriter writer, JsonObject obj, string? kind, string? apiVersion)
    {
        writer.WriteStartObject();
        if (kind is not null && apiVersion is not null)
        {
            writer.WriteString("kind", kind);
            writer.WriteString("apiVersion", apiVersion);
        }

        foreach (var (name, value) in obj)
        {
            if (name is "kind" or "apiVersion")
            {
                continue;
            }

            writer.WritePropertyName(name);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A copy of a stored object with its type stamped in, for test controls to hand out.</summary>
    public static JsonObject Stamped(JsonObject stored, KubeResourceType type, string version)
    {
        var copy = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion(version) };
        foreach (var (name, value) in stored)
        {
            if (name is not ("kind" or "apiVersion"))
            {
                copy[name] = value?.DeepClone();
            }
        }

        return copy;
    }

    public static JsonObject? Metadata(JsonObject obj) => obj["metadata"] as JsonObject;

    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text : node?.ToJsonString();

    public static string? MetaString(JsonObject obj, string field) => String(Metadata(obj)?[field]);

    public static long ResourceVersion(JsonObject obj) => long.Parse(MetaString(obj, "resourceVersion") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonNode? CopyNode(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, CopyNode(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(CopyNode)]),
        _ => node.DeepClone(),
    };
}
