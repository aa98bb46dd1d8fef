using Mesh.Grains;
using Mesh.Grains.Hosting;
using Mesh.Ingest;
using Mesh.Silo.Admin;
using Mesh.XdsGateway;
using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Silo;

/// <summary>Builds the embedded default: silo, xDS gateway, manifest ingest and admin API in one process.</summary>
public static class MeshHost
{
    public static WebApplication Build(SiloOptions options, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.ListenAddress, options.XdsPort, l => l.Protocols = HttpProtocols.Http2);
            k.Listen(options.ListenAddress, options.AdminPort, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.SiloGatewayPort);
            silo.AddMemoryGrainStorage(GrainStorage.Name);
        });
        builder.Services.AddMeshGrains();

        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddXdsGateway();
        builder.Services.AddSingleton(GatewayIdentity.ForThisProcess());
        builder.Services.AddSingleton<GrainConfigWatcher>();
        builder.Services.AddSingleton<IConfigWatcher>(sp => sp.GetRequiredService<GrainConfigWatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GrainConfigWatcher>());

        builder.Services.AddManifestDirectorySource(o => o.Directory = options.ManifestDirectory);
        builder.Services.AddSingleton<PrometheusMetrics>();

        var app = builder.Build();
        // Listen to meters before anything runs: counts made during the initial load must show.
        app.Services.GetRequiredService<PrometheusMetrics>();
        app.MapGrpcService<AdsService>().RequireHost($"*:{options.XdsPort}");
        app.MapAdminEndpoints($"*:{options.AdminPort}");
        return app;
    }
}
