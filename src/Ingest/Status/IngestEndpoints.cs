using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mesh.Ingest.Status;

/// <summary><c>/debug/ingestz</c>: objects by kind, applies, and every rejected object with kind/namespace/name/field/reason.</summary>
public static class IngestEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static IEndpointRouteBuilder MapIngestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/debug/ingestz", (IngestStatus status) => Results.Text(Render(status.Current), "application/json"));
        return app;
    }

    private static string Render(IngestStatus.Snapshot s)
    {
        var o = new JsonObject
        {
            ["synced"] = s.Synced,
            ["objects"] = s.Objects,
            ["objectsByKind"] = new JsonObject(s.ObjectsByKind.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["applies"] = s.Applies,
            ["lastApplied"] = s.LastApplied?.ToString("O"),
            ["lastWrites"] = s.LastWrites,
            ["lastFailure"] = s.LastFailure,
            ["recentApplies"] = new JsonArray([.. s.Recent.Select(a => (JsonNode)new JsonObject
            {
                ["started"] = a.Started.ToString("O", CultureInfo.InvariantCulture),
                ["compiled"] = a.Compiled.ToString("O", CultureInfo.InvariantCulture),
                ["completed"] = a.Completed.ToString("O", CultureInfo.InvariantCulture),
                ["writes"] = a.Writes,
            })]),
            ["errors"] = new JsonArray([.. s.Errors.Select(e => (JsonNode)new JsonObject
            {
                ["source"] = e.Source,
                ["kind"] = e.Kind,
                ["namespace"] = e.Namespace,
                ["name"] = e.Name,
                ["field"] = e.Field,
                ["reason"] = e.Reason,
                ["message"] = e.ToString(),
            })]),
        };
        return o.ToJsonString(Json);
    }
}
