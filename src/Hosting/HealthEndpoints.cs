using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Hosting;

/// <summary><c>/healthz</c> (alive), <c>/readyz</c> (role-specific readiness) and <c>/metrics</c> on the admin port.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app, Func<IServiceProvider, (bool Ready, string Why)> readiness)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (HttpContext ctx) =>
        {
            var (ready, why) = readiness(ctx.RequestServices);
            return ready ? Results.Text("ready\n") : Results.Text($"not ready: {why}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/metrics", (PrometheusMetrics m) => Results.Text(m.Render(), "text/plain; version=0.0.4"));
        return app;
    }

    /// <summary>Registers the Prometheus listener; call <see cref="StartMetrics"/> right after building so startup counts show.</summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services) => services.AddSingleton<PrometheusMetrics>();

    public static void StartMetrics(this IServiceProvider services) => services.GetRequiredService<PrometheusMetrics>();
}
