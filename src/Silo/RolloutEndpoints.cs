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
        return app;
    }

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
