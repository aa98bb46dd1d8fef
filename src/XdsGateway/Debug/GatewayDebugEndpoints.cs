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
/// <c>/debug/config_dump?proxyID=ID</c> (what the proxy was sent, as Envoy's config_dump JSON), and
/// <c>POST /debug/gc</c> (a full compacting GC, then the live heap: for measuring memory per proxy).
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
        app.MapPost("/debug/gc", () => Results.Text(CollectJson(), "application/json"));
        return app;
    }

    /// <summary>
    /// A full, blocking, compacting collection, then what is left: the live managed heap, which is
    /// what memory per connected proxy means (the heap after an ordinary GC still holds garbage
    /// gen 2 has not collected yet, and RSS holds what the GC keeps for reuse).
    /// </summary>
    private static string CollectJson()
    {
        var before = GC.GetGCMemoryInfo().HeapSizeBytes;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new JsonObject
        {
            ["heapBytesBefore"] = before,
            ["heapBytesAfter"] = after.HeapSizeBytes,
            ["fragmentedBytes"] = after.FragmentedBytes,
            ["rssBytes"] = process.WorkingSet64,
            ["pauseMs"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
        }.ToJsonString(Json);
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
                ["scope"] = w.ScopeKey,
                ["connectedAt"] = w.ConnectedAt.ToString("O"),
                ["types"] = types,
            });
        }
        return arr.ToJsonString(Json);
    }
}
