using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Ingest.Status;
using Mesh.XdsGateway.Observers;

namespace Mesh.Silo.Admin;

/// <summary>
/// The admin HTTP group: health, readiness (only once the initial manifests are applied, X-25),
/// Istio-style <c>/debug/syncz</c> and <c>/debug/config_dump</c>, <c>/debug/ingestz</c>, <c>/metrics</c>.
/// </summary>
public static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void MapAdminEndpoints(this WebApplication app, string host)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n")).RequireHost(host);
        app.MapGet("/readyz", (IngestStatus status) => status.Current.Synced
            ? Results.Text("ready\n")
            : Results.Text("not ready: initial manifests are still loading\n", statusCode: StatusCodes.Status503ServiceUnavailable)).RequireHost(host);
        app.MapGet("/metrics", (PrometheusMetrics m) => Results.Text(m.Render(), "text/plain; version=0.0.4")).RequireHost(host);
        app.MapGet("/debug/ingestz", (IngestStatus status) => Results.Text(IngestzJson(status.Current), "application/json")).RequireHost(host);
        app.MapGet("/debug/syncz", (GrainConfigWatcher watcher) => Results.Text(SyncJson(watcher), "application/json")).RequireHost(host);
        app.MapGet("/debug/config_dump", (string? proxyID, GrainConfigWatcher watcher) =>
        {
            if (string.IsNullOrEmpty(proxyID))
            {
                return Results.Text("missing query parameter proxyID (a node id from /debug/syncz)\n", statusCode: StatusCodes.Status400BadRequest);
            }
            var watch = watcher.Watches.FirstOrDefault(w => w.Node.Id == proxyID);
            return watch is null
                ? Results.Text($"proxy {proxyID} is not connected to this gateway\n", statusCode: StatusCodes.Status404NotFound)
                : Results.Text(ConfigDump.Render(watch), "application/json");
        }).RequireHost(host);
    }

    private static string IngestzJson(IngestStatus.Snapshot s)
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

    private static string SyncJson(GrainConfigWatcher watcher)
    {
        var arr = new JsonArray();
        foreach (var w in watcher.Watches.OrderBy(w => w.Node.Id, StringComparer.Ordinal))
        {
            var types = new JsonObject();
            foreach (var s in w.SyncStates)
            {
                types[Model.Translation.TypeUrls.ShortName(s.TypeUrl)] = new JsonObject
                {
                    ["state"] = s.State,
                    ["sent"] = s.Sent,
                    ["acked"] = s.Acked,
                    ["nacked"] = s.Nacked,
                    ["lastError"] = s.LastError,
                };
            }
            arr.Add(new JsonObject
            {
                ["proxy"] = w.Node.Id,
                ["namespace"] = w.Node.Namespace,
                ["kind"] = w.Node.Kind.ToString().ToLowerInvariant(),
                ["workload"] = w.Node.WorkloadName,
                ["scope"] = w.ScopeKey,
                ["connectedAt"] = w.ConnectedAt.ToString("O"),
                ["types"] = types,
            });
        }
        return arr.ToJsonString(Json);
    }
}
