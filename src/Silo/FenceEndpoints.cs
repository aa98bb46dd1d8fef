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
/// and strategies, selectors and learned hosts with source, status (Slime's ACTIVE, EXPIREWAIT) and last seen.
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

    private static async Task<IResult> FencezAsync(string? fence, IGrainFactory grains, Mesh.Model.Translation.MeshSettings settings, TimeProvider time)
    {
        if (fence is null || !fence.Contains('/', StringComparison.Ordinal))
        {
            return Problem("query: fence=NAMESPACE/SERVICE is required");
        }
        var (ns, service) = FenceKey.Parse(fence);
        var config = await grains.GetGrain<INamespaceGrain>(ns).GetConfigAsync();
        var inForce = config.FencesInForce().FirstOrDefault(f => string.Equals(f.Meta.Name, service, StringComparison.Ordinal));
        var learned = await grains.GetGrain<IServiceFenceGrain>(fence).GetAsync();
        return Results.Json(new
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
        });
    }

    private static IResult Problem(string reason) => Results.Text(reason + "\n", statusCode: StatusCodes.Status400BadRequest);
}
