using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Grains;
using Mesh.Grains.Keys;
using Mesh.Hosting;
using Mesh.Model.Fences;

namespace Mesh.Silo;

/// <summary>
/// The fence admin API on the silo's admin port: <c>POST /api/v1/fences/{namespace}/{service}/hosts</c>
/// with <c>{"hosts": [FQDN, …]}</c> adds learned hosts (dependencies found elsewhere, e.g. from
/// tracing), and <c>GET /debug/fencez?fence=NAMESPACE/SERVICE</c> shows a fence: its static hosts
/// and strategies, selectors and learned hosts with source, status (Slime's ACTIVE, EXPIREWAIT) and last seen;
/// <c>?workload=NAMESPACE/NAME</c> the same for the fence of a workload, with the resources its scope
/// holds next to full mode's.
/// </summary>
public static class FenceEndpoints
{
    /// <summary>At most this many hosts per request.</summary>
    public const int MaxHostsPerRequest = 100;

    public static IEndpointRouteBuilder MapFenceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/fences/{ns}/{service}/hosts", LearnAsync);
        app.MapGet("/debug/fencez", FencezAsync);
        return app;
    }

    private static async Task<IResult> LearnAsync(string ns, string service, HttpContext context, IGrainFactory grains, IConfiguration configuration)
    {
        if (AdminAccess.Check(context, configuration) is { } refused)
        {
            return refused;
        }
        List<string> hosts;
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (body?["hosts"] is not JsonArray array || array.Count == 0)
            {
                return Problem("body: expected {\"hosts\": [\"FQDN\", …]} with at least one host");
            }
            hosts = [.. array.Select((h, i) => h is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new JsonException($"hosts[{i}] is not a string"))];
        }
        catch (JsonException ex)
        {
            return Problem($"body: {ex.Message}");
        }
        if (hosts.Count > MaxHostsPerRequest)
        {
            return Problem($"hosts: {hosts.Count} given, at most {MaxHostsPerRequest} per request");
        }
        var errors = hosts.Select((h, i) => FencePolicy.CheckLearnedHost(h) is { } e ? $"hosts[{i}]: {e}" : null).OfType<string>().ToList();
        if (errors.Count > 0)
        {
            return Problem(string.Join("; ", errors));
        }
        var config = await grains.GetGrain<INamespaceGrain>(ns).GetConfigAsync();
        if (!config.FencesInForce().Any(f => string.Equals(f.Meta.Name, service, StringComparison.Ordinal)))
        {
            return Results.Text($"no ServiceFence is in force for {ns}/{service}: create one (enable: true) or label the Service slime.io/serviceFenced=\"true\"\n", statusCode: StatusCodes.Status404NotFound);
        }
        var added = await grains.GetGrain<IServiceFenceGrain>(FenceKey.From(ns, service)).LearnAsync([.. hosts], "admin");
        return Results.Json(new { fence = FenceKey.From(ns, service), added, reported = hosts.Count });
    }

    private static async Task<IResult> FencezAsync(string? fence, string? workload, IGrainFactory grains, Mesh.Model.Translation.MeshSettings settings, TimeProvider time)
    {
        if (workload is not null)
        {
            return await WorkloadFencezAsync(workload, grains, settings, time);
        }
        if (fence is null || !fence.Contains('/', StringComparison.Ordinal))
        {
            return Problem("query: fence=NAMESPACE/SERVICE or workload=NAMESPACE/NAME is required");
        }
        return Results.Json(await DescribeFenceAsync(fence, grains, settings, time));
    }

    /// <summary>
    /// A workload's view: the fence that applies to the pods its Service <c>NAME</c> selects (Slime's
    /// unit: the fence of a service fences its workloads), the scope serving them, and the resources
    /// that scope holds next to what the namespace's unfenced scope holds (full mode). A count is
    /// null while no proxy of that scope is connected (no grain has built it).
    /// </summary>
    private static async Task<IResult> WorkloadFencezAsync(string workload, IGrainFactory grains, Mesh.Model.Translation.MeshSettings settings, TimeProvider time)
    {
        var slash = workload.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == workload.Length - 1)
        {
            return Problem("query: workload=NAMESPACE/NAME is required");
        }
        var (ns, name) = (workload[..slash], workload[(slash + 1)..]);
        var config = await grains.GetGrain<INamespaceGrain>(ns).GetConfigAsync();
        var service = config.Services.FirstOrDefault(s => s.Origin == Mesh.Model.Services.ServiceOrigin.Kubernetes && s.ShortName == name);
        if (service is not { Selector.Count: > 0 })
        {
            return Results.Text($"no Service {name} with a selector in namespace {ns}: the workload is named by the Service that selects its pods\n", statusCode: StatusCodes.Status404NotFound);
        }
        var fenceObject = FencePolicy.Select(config.FencesInForce(), config.Services, service.Selector);
        var sidecar = Mesh.Grains.Scope.ScopeInputs.SelectSidecar(config, service.Selector)?.Meta.Name;
        var full = ScopeKey.From(Mesh.Grains.Dtos.ScopeIdentity.Shared(Mesh.Model.Translation.ProxyKind.Sidecar, ns, sidecar));
        var served = fenceObject is null ? full : ScopeKey.From(Mesh.Grains.Dtos.ScopeIdentity.Shared(Mesh.Model.Translation.ProxyKind.Sidecar, ns, sidecar, fenceObject.Meta.Name));
        return Results.Json(new
        {
            workload,
            labels = service.Selector,
            fenced = fenceObject is not null,
            scope = served,
            resources = new { served = await CountsAsync(grains, served), full = await CountsAsync(grains, full) },
            fence = fenceObject is null ? null : await DescribeFenceAsync(FenceKey.From(ns, fenceObject.Meta.Name), grains, settings, time),
        });
    }

    private static async Task<object?> CountsAsync(IGrainFactory grains, string scopeKey)
    {
        var snapshot = await grains.GetGrain<IScopeGrain>(scopeKey).GetSnapshotAsync();
        return snapshot.Ready
            ? new { listeners = snapshot.Listeners.Length, routes = snapshot.Routes.Length, clusters = snapshot.ClusterNames.Length }
            : null;
    }

    private static async Task<object> DescribeFenceAsync(string fence, IGrainFactory grains, Mesh.Model.Translation.MeshSettings settings, TimeProvider time)
    {
        var (ns, service) = FenceKey.Parse(fence);
        var config = await grains.GetGrain<INamespaceGrain>(ns).GetConfigAsync();
        var inForce = config.FencesInForce().FirstOrDefault(f => string.Equals(f.Meta.Name, service, StringComparison.Ordinal));
        var learned = await grains.GetGrain<IServiceFenceGrain>(fence).GetAsync();
        return new
        {
            fence,
            inForce = inForce is not null,
            implied = inForce is not null && !config.ServiceFences.Any(f => f.Meta.Name == service),
            apiVersion = inForce?.ApiVersion,
            hosts = inForce?.Hosts.Select(h => new { host = h.Key, strategy = h.Value.Recycling.ToString(), expire = h.Value.Expire }).ToImmutableArray(),
            namespaceSelector = inForce?.NamespaceSelector,
            labelSelector = inForce?.LabelSelector,
            quietPeriod = settings.LazyQuietPeriod,
            learned = learned.Select(l => new
            {
                host = l.Host,
                source = l.Source,
                status = FenceExpiry.StatusOf(l.LastSeen, time.GetUtcNow(), settings.LazyQuietPeriod) switch
                {
                    LearnedStatus.Active => "ACTIVE",
                    LearnedStatus.ExpireWait => "EXPIREWAIT",
                    _ => "EXPIRE",
                },
                firstSeen = l.FirstSeen,
                lastSeen = l.LastSeen,
            }),
        };
    }

    private static IResult Problem(string reason) => Results.Text(reason + "\n", statusCode: StatusCodes.Status400BadRequest);
}
