using System.Net;
using Mesh.Hosting;
using Mesh.XdsGateway.Debug;
using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Mesh.XdsGateway;

/// <summary>
/// Adds the xDS gateway (ADS server, grain-backed watcher, drain, debug endpoints) to a host; used
/// by the stand-alone gateway process and by the embedded default.
/// </summary>
public static class GatewayHost
{
    /// <summary>Section <c>Mesh</c> key for the xDS port (env <c>Mesh__XdsPort</c>).</summary>
    public const string XdsPortKey = "Mesh:XdsPort";

    public static void AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddXdsGateway();
        builder.Services.AddSingleton(GatewayIdentity.ForThisProcess());
        builder.Services.AddSingleton<GrainConfigWatcher>();
        builder.Services.AddSingleton<IConfigWatcher>(sp => sp.GetRequiredService<GrainConfigWatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GrainConfigWatcher>());
    }

    /// <summary>
    /// The xDS listener: plaintext HTTP/2 only (gRPC). Its limits (streams per connection, windows,
    /// keep-alive pings) come from the <c>Xds</c> section through <see cref="XdsKestrelOptionsSetup"/>,
    /// which <see cref="XdsGatewayServiceCollectionExtensions.AddXdsGateway"/> registers.
    /// </summary>
    public static void ListenXds(this KestrelServerOptions kestrel, IPAddress address, int port) =>
        kestrel.Listen(address, port, l => l.Protocols = HttpProtocols.Http2);

    public static void MapGateway(this WebApplication app, int xdsPort)
    {
        app.SeparateGrpcPort(xdsPort);
        app.MapGrpcService<AdsService>();
        app.MapGrpcService<AccessLog.AccessLogReceiver>();
        app.MapGatewayDebugEndpoints();
    }

    /// <summary>Gateway readiness: not draining, and the mesh has finished its initial load.</summary>
    public static (bool Ready, string Why) Readiness(IServiceProvider sp)
    {
        if (sp.GetRequiredService<StreamDrain>().Draining)
        {
            return (false, "draining");
        }
        var ready = sp.GetRequiredService<GrainConfigWatcher>().IsReadyAsync().GetAwaiter().GetResult();
        return ready ? (true, "") : (false, "the mesh has not finished its initial load, or no silo is reachable");
    }

    /// <summary>The stand-alone gateway: an Orleans client of the cluster in Redis, serving xDS.</summary>
    public static WebApplication BuildStandalone(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var cluster = builder.AddMeshClusterOptions(requireRedis: true);
        var xdsPort = builder.Configuration.GetValue(XdsPortKey, 15010);
        var listen = IPAddress.Parse(cluster.ListenAddress);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenXds(listen, xdsPort);
            k.Listen(listen, cluster.AdminPort, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(25));
        HostLogging.Configure(builder);
        builder.UseOrleansClient(c => c.UseMeshCluster(cluster));
        builder.Services.AddSingleton<IClusterConnectionStatusObserver, ClusterConnectionWatcher>();
        builder.AddGatewayServices();
        builder.Services.AddSingleton(MeshSettingsConfiguration.From(builder.Configuration));
        builder.Services.AddPrometheusMetrics();

        var app = builder.Build();
        app.Services.StartMetrics();
        app.MapGateway(xdsPort);
        app.MapHealthEndpoints(Readiness);
        return app;
    }
}
