using System.Text.Json.Nodes;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Hosting;

namespace Mesh.Silo;

/// <summary>
/// The rollout admin API on the silo's admin port. <c>GET /api/v1/rollouts</c>: every rollout in
/// flight, with its stage, hosts, changes and gate counts; <c>GET /api/v1/rollouts/{namespace}/{policy}</c>:
/// one policy's rollout in flight and its last ended ones (outcome and reason);
/// <c>POST /api/v1/rollouts/{namespace}/{policy}/{pause|resume|promote|abort}</c> (abort takes an
/// optional <c>{"reason": "…"}</c>) acts on its rollout in flight (writes: loopback or the admin
/// token). <c>GET /debug/rolloutz</c> is the read-only view of the first, with the table's stages.
/// Policies can also be created here: <c>PUT /api/v1/rolloutpolicies/{namespace}/{name}</c> with the
/// policy's YAML or JSON document (validated as a manifest's), <c>DELETE</c> the same path, <c>GET
/// /api/v1/rolloutpolicies</c> to list them; a source's (manifest, Kubernetes) policy governs first.
/// </summary>
public static class RolloutEndpoints
{
    public static IEndpointRouteBuilder MapRolloutEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/rollouts", ListAsync);
        app.MapGet("/debug/rolloutz", ListAsync);
        app.MapGet("/api/v1/rollouts/{ns}/{policy}", async (string ns, string policy, IGrainFactory grains) =>
            Results.Json(await grains.GetGrain<IRolloutGrain>($"{ns}/{policy}").GetStatusAsync()));
        app.MapPost("/api/v1/rollouts/{ns}/{policy}/{action}", ActAsync);
        app.MapGet("/api/v1/rolloutpolicies", async (IGrainFactory grains) =>
            Results.Json((await grains.GetGrain<IRolloutPolicyStoreGrain>("default").GetAllAsync()).Select(Describe)));
        app.MapPut("/api/v1/rolloutpolicies/{ns}/{name}", PutPolicyAsync);
        app.MapDelete("/api/v1/rolloutpolicies/{ns}/{name}", DeletePolicyAsync);
        return app;
    }

    /// <summary>Most bytes of a policy document accepted.</summary>
    public const int MaxPolicyBytes = 64 * 1024;

    /// <summary>
    /// Stores the RolloutPolicy in the body (the same YAML or JSON document a manifest holds; its
    /// name and namespace must be the path's), after the same parsing and validation as a manifest's:
    /// every error comes back with its field.
    /// </summary>
    private static async Task<IResult> PutPolicyAsync(string ns, string name, HttpContext context, IGrainFactory grains, IConfiguration configuration)
    {
        if (AdminAccess.Check(context, configuration) is { } refused)
        {
            return refused;
        }
        using var reader = new StreamReader(context.Request.Body);
        var buffer = new char[MaxPolicyBytes + 1];
        var read = await reader.ReadBlockAsync(buffer, context.RequestAborted);
        if (read > MaxPolicyBytes)
        {
            return Problem($"body: at most {MaxPolicyBytes} bytes");
        }
        var parsed = Model.Validation.ConfigValidator.Validate(Model.Config.Parsing.ManifestParser.Parse(new string(buffer, 0, read), $"PUT /api/v1/rolloutpolicies/{ns}/{name}"));
        if (!parsed.Errors.IsEmpty)
        {
            return Problem(string.Join("\n", parsed.Errors));
        }
        if (parsed.Objects is not [Model.Config.RolloutPolicy policy])
        {
            return Problem($"body: expected one RolloutPolicy (apiVersion {Model.Config.RolloutPolicy.ApiVersion}), got {parsed.Objects.Length} object(s){(parsed.Objects.Length == 1 ? $" of kind {parsed.Objects[0].Kind}" : "")}");
        }
        if (policy.Meta.Namespace != ns || policy.Meta.Name != name)
        {
            return Problem($"metadata: the document names {policy.Meta.Namespace}/{policy.Meta.Name}, the path {ns}/{name}");
        }
        await grains.GetGrain<IRolloutPolicyStoreGrain>("default").PutAsync(policy);
        return Results.Json(Describe(policy));
    }

    private static async Task<IResult> DeletePolicyAsync(string ns, string name, HttpContext context, IGrainFactory grains, IConfiguration configuration)
    {
        if (AdminAccess.Check(context, configuration) is { } refused)
        {
            return refused;
        }
        return await grains.GetGrain<IRolloutPolicyStoreGrain>("default").DeleteAsync(ns, name)
            ? Results.NoContent()
            : Results.Text($"no RolloutPolicy {ns}/{name} was created through the admin API\n", statusCode: StatusCodes.Status404NotFound);
    }

    private static object Describe(Model.Config.RolloutPolicy p) => new
    {
        policy = $"{p.Meta.Namespace}/{p.Meta.Name}",
        kinds = p.Selector.Kinds.Select(k => k.ToString()),
        names = p.Selector.Names,
        stages = p.Stages.Select(s => s.ToString()),
        bakeSeconds = p.Bake.TotalSeconds,
        maxNacks = p.Gates.MaxNacks,
        maxNackRatio = p.Gates.MaxNackRatio,
        health = p.Gates.Health?.Url,
        onConflict = p.OnConflict.ToString(),
        promotion = p.Manual ? "Manual" : "Auto",
    };

    private static IResult Problem(string reason) => Results.Text(reason + "\n", statusCode: StatusCodes.Status400BadRequest);

    private static async Task<IResult> ListAsync(IGrainFactory grains)
    {
        var table = await grains.GetGrain<IRolloutTableGrain>("default").GetRolloutsAsync();
        var statuses = await Task.WhenAll(table.Select(async view =>
        {
            var all = await grains.GetGrain<IRolloutGrain>(view.Id[..view.Id.LastIndexOf('#')]).GetStatusAsync();
            return all.FirstOrDefault(s => s.Id == view.Id);
        }));
        return Results.Json(new { inFlight = statuses.OfType<RolloutStatus>().ToArray() });
    }

    private static async Task<IResult> ActAsync(string ns, string policy, string action, HttpContext context, IGrainFactory grains, IConfiguration configuration)
    {
        if (AdminAccess.Check(context, configuration) is { } refused)
        {
            return refused;
        }
        var grain = grains.GetGrain<IRolloutGrain>($"{ns}/{policy}");
        RolloutStatus? status;
        switch (action)
        {
            case "pause":
                status = await grain.PauseAsync();
                break;
            case "resume":
                status = await grain.ResumeAsync();
                break;
            case "promote":
                status = await grain.PromoteAsync();
                break;
            case "abort":
                var reason = "no reason given";
                if (context.Request.ContentLength is > 0)
                {
                    try
                    {
                        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                        reason = body?["reason"]?.GetValue<string>() ?? reason;
                    }
                    catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
                    {
                        return Results.Text($"body: expected {{\"reason\": \"…\"}}: {ex.Message}\n", statusCode: StatusCodes.Status400BadRequest);
                    }
                }
                status = await grain.AbortAsync(reason);
                break;
            default:
                return Results.Text($"unknown action '{action}': pause, resume, promote or abort\n", statusCode: StatusCodes.Status404NotFound);
        }
        return status is null
            ? Results.Text($"RolloutPolicy {ns}/{policy} has no rollout in flight\n", statusCode: StatusCodes.Status409Conflict)
            : Results.Json(status);
    }
}
