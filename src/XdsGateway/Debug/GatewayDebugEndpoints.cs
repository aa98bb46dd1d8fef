using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Observers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsGateway.Debug;

/// <summary>
/// Istio-style debug endpoints of a gateway: <c>/debug/syncz</c> (per connected proxy, per type:
/// sent / ACKed / NACKed version and SYNCED / NOT SENT / STALE) and
/// <c>/debug/config_dump?proxyID=ID</c> (what the proxy was sent, as Envoy's config_dump JSON),. <c>POST /debug/gc</c> is on
/// every process's admin port (<see cref="Mesh.Hosting.HealthEndpoints"/>).
/// </summary>
public static class GatewayDebugEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static IEndpointRouteBuilder MapGatewayDebugEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/debug/syncz", (GrainConfigWatcher watcher) => Results.Text(SyncJson(watcher), "application/json"));
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
        });
        return app;
    }

    private static string SyncJson(GrainConfigWatcher watcher)
    {
        var arr = new JsonArray();
        foreach (var w in watcher.Watches.OrderBy(w => w.Node.Id, StringComparer.Ordinal))
        {
            var types = new JsonObject();
            foreach (var s in w.SyncStates)
            {
                types[TypeUrls.ShortName(s.TypeUrl)] = new JsonObject
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
                ["userAgent"] = w.Node.UserAgent,
                ["locality"] = string.Join('/', new[] { w.Node.Locality.Region, w.Node.Locality.Zone, w.Node.Locality.SubZone }.Reverse().SkipWhile(p => p.Length == 0).Reverse()),
                ["withheld"] = new JsonArray([.. ProxylessClients.Withheld(w.Node.Quirks).Select(f => (JsonNode)f)]),
                ["workloadKey"] = w.WorkloadKey,
                ["scope"] = w.ScopeKey,
                // Staged rollouts: "baseline", or the rollouts whose candidates the proxy is served.
                ["generation"] = w.Cohort.IsNone ? "baseline" : new JsonArray([.. w.Cohort.Rollouts.Select(r => (JsonNode)JsonValue.Create(r)!)]),
                ["cohortBucket"] = w.Bucket,
                ["connectedAt"] = w.ConnectedAt.ToString("O"),
                ["types"] = types,
            });
        }
        return arr.ToJsonString(Json);
    }
}
