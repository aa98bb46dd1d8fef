using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Hosting;

/// <summary>
/// <c>/healthz</c> (alive), <c>/readyz</c> (role-specific readiness), <c>/metrics</c> and
/// <c>POST /debug/gc</c> (a full compacting GC, then the live heap: how memory per proxy or per
/// object is measured) on every process's admin port.
/// </summary>
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
        app.MapPost("/debug/gc", () => Results.Text(CollectJson(), "application/json"));
        return app;
    }

    /// <summary>
    /// A full, blocking, compacting collection, then what is left: the live managed heap (the heap
    /// after an ordinary GC still holds garbage gen 2 has not collected yet, and RSS holds what the
    /// GC keeps for reuse).
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
        }.ToJsonString();
    }

    /// <summary>Registers the Prometheus listener; call <see cref="StartMetrics"/> right after building so startup counts show.</summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services) => services.AddSingleton<PrometheusMetrics>();

    public static void StartMetrics(this IServiceProvider services) => services.GetRequiredService<PrometheusMetrics>();
}
