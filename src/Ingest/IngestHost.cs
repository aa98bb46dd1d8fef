using System.Net;
using Mesh.Hosting;
using Mesh.Ingest.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Ingest;

/// <summary>The stand-alone ingest: an Orleans client that keeps the grains in sync with a manifest directory.</summary>
public static class IngestHost
{
    /// <summary>Section <c>Mesh</c> key for the manifest directory (env <c>Mesh__Manifests</c>).</summary>
    public const string ManifestsKey = "Mesh:Manifests";

    public static WebApplication BuildStandalone(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var cluster = builder.AddMeshClusterOptions(requireRedis: true);
        var manifests = builder.Configuration[ManifestsKey];
        if (string.IsNullOrWhiteSpace(manifests))
        {
            throw new InvalidOperationException($"{ManifestsKey} is empty: set Mesh__Manifests=DIR, the directory of Kubernetes/Istio manifests to serve.");
        }
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(cluster.ListenAddress), cluster.AdminPort, l => l.Protocols = HttpProtocols.Http1));
        HostLogging.Configure(builder);
        builder.UseOrleansClient(c => c.UseMeshCluster(cluster));
        builder.Services.AddManifestDirectorySource(o => o.Directory = manifests);
        builder.Services.AddPrometheusMetrics();

        var app = builder.Build();
        app.Services.StartMetrics();
        app.MapIngestEndpoints();
        app.MapHealthEndpoints(Readiness);
        return app;
    }

    /// <summary>Ready once the first full load has been applied to the grains.</summary>
    public static (bool Ready, string Why) Readiness(IServiceProvider sp) =>
        sp.GetRequiredService<IngestStatus>().Current.Synced ? (true, "") : (false, "initial manifests are still loading");
}
