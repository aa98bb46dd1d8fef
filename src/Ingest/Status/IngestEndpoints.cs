using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Ingest.Kubernetes;
using Mesh.Ingest.Kubernetes.Leadership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Ingest.Status;

/// <summary>
/// <c>/debug/ingestz</c>: objects by kind, applies, every rejected object with kind/namespace/name/field/reason,
/// every field of a served object that Mesh does not translate (<c>warnings</c>), and the leader election when there is one.
/// </summary>
public static class IngestEndpoints
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IEndpointRouteBuilder MapIngestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/debug/ingestz", (IngestStatus status, IServiceProvider services) =>
            Results.Text(Render(status.Current, services.GetService<KubernetesSource>()?.Election?.Status, services.GetService<KubernetesSource>()), "application/json"));
        return app;
    }

    private static string Render(IngestStatus.Snapshot s, LeaderStatus? leader, KubernetesSource? kubernetes)
    {
        var o = new JsonObject
        {
            ["synced"] = s.Synced,
            ["objects"] = s.Objects,
            ["objectsByKind"] = new JsonObject(s.ObjectsByKind.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["applies"] = s.Applies,
            ["lastApplied"] = s.LastApplied?.ToString("O"),
            ["lastWrites"] = s.LastWrites,
            ["writes"] = s.Writes,
            ["lastFailure"] = s.LastFailure,
            ["recentApplies"] = new JsonArray([.. s.Recent.Select(a => (JsonNode)new JsonObject
            {
                ["started"] = a.Started.ToString("O", CultureInfo.InvariantCulture),
                ["compiled"] = a.Compiled.ToString("O", CultureInfo.InvariantCulture),
                ["completed"] = a.Completed.ToString("O", CultureInfo.InvariantCulture),
                ["writes"] = a.Writes,
            })]),
            ["errors"] = new JsonArray([.. s.Errors.Select(Json)]),
            ["warnings"] = new JsonArray([.. s.Warnings.Select(Json)]),
        };
        if (leader is not null)
        {
            o["leader"] = new JsonObject
            {
                ["lease"] = leader.Lease,
                ["identity"] = leader.Identity,
                ["holder"] = leader.Holder,
                ["isLeader"] = leader.IsLeader,
                ["epoch"] = leader.Epoch,
                ["transitions"] = leader.Transitions,
                ["lastRenew"] = leader.LastRenew?.ToString("O", CultureInfo.InvariantCulture),
                ["lastError"] = leader.LastError,
            };
        }
        if (kubernetes is not null)
        {
            o["kubernetes"] = new JsonObject
            {
                ["synced"] = kubernetes.Synced,
                ["discoverySelectors"] = new JsonArray([.. kubernetes.DiscoverySelectors.Select(x => (JsonNode)x)]),
                ["pendingNamespaces"] = kubernetes.PendingNamespaces,
                ["kinds"] = new JsonArray([.. kubernetes.Kinds.Select(k => (JsonNode)new JsonObject
                {
                    ["kind"] = k.Kind,
                    ["version"] = k.Version,
                    ["served"] = k.Served,
                    ["synced"] = k.Synced,
                    ["objects"] = k.Objects,
                    ["rejected"] = k.Rejected.Length,
                    ["warnings"] = k.Warnings.Length,
                    ["resourceVersion"] = k.ResourceVersion,
                    ["lists"] = k.Lists,
                    ["relists"] = k.Relists,
                    ["watches"] = k.Watches,
                    ["watchFailures"] = k.WatchFailures,
                    ["events"] = k.Events,
                    ["effectiveChanges"] = k.EffectiveChanges,
                    ["lastEventAt"] = k.LastEventAt?.ToString("O", CultureInfo.InvariantCulture),
                    ["lastError"] = k.LastError,
                })]),
            };
        }
        return o.ToJsonString(Indented);
    }

    private static JsonNode Json(Model.Config.ConfigError e) => new JsonObject
    {
        ["source"] = e.Source,
        ["kind"] = e.Kind,
        ["namespace"] = e.Namespace,
        ["name"] = e.Name,
        ["field"] = e.Field,
        ["reason"] = e.Reason,
        ["message"] = e.ToString(),
    };
}
