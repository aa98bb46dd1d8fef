using Mesh.Grains.Hosting;
using Mesh.Hosting;
using Mesh.Ingest;
using Mesh.Ingest.Status;
using Mesh.XdsGateway;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Silo;

/// <summary>
/// Builds a silo process. Without Redis it is the embedded default: silo, xDS gateway, manifest
/// ingest and admin API in one process. With <c>Mesh:Redis</c> set it is one silo of a distributed
/// cluster: grains and the admin API only; gateways and ingest run as their own processes.
/// </summary>
public static class MeshHost
{
    public static WebApplication Build(SiloOptions options, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var cluster = new MeshClusterOptions
        {
            Redis = options.Redis ?? "",
            SiloPort = options.SiloPort,
            GatewayPort = options.SiloGatewayPort,
            AdminPort = options.AdminPort,
            AdvertisedIp = options.AdvertisedIp ?? "",
            ListenAddress = options.ListenAddress.ToString(),
            ClusterId = options.ClusterId,
        };
        var result = new MeshClusterOptionsValidator().Validate(null, cluster);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(MeshClusterOptions.Section, typeof(MeshClusterOptions), result.Failures);
        }
        var embedded = !cluster.Distributed;
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (embedded)
            {
                k.ListenXds(options.ListenAddress, options.XdsPort);
            }
            k.Listen(options.ListenAddress, options.AdminPort, l => l.Protocols = HttpProtocols.Http1);
        });
        HostLogging.Configure(builder);
        builder.UseOrleans(silo => silo.UseMeshCluster(cluster));
        builder.Services.AddMeshGrains(MeshSettingsConfiguration.From(builder.Configuration));
        builder.Services.AddPrometheusMetrics();
        if (embedded)
        {
            builder.AddGatewayServices();
            if (options.UsesKubernetes)
            {
                builder.Services.AddKubernetesSource(o =>
                {
                    o.Kubeconfig = options.Kubeconfig == "in-cluster" ? null : options.Kubeconfig;
                    o.Host = options.KubeApi;
                    o.DiscoverySelectors.AddRange(options.DiscoverySelectors);
                    // Embedded, the grains are this process's own: it must write them, whoever else
                    // serves the same cluster. A Lease would leave all but one embedded replica empty.
                    o.LeaderElection = false;
                });
            }
            else
            {
                builder.Services.AddManifestDirectorySource(o => o.Directory = options.ManifestDirectory);
            }
        }

        var app = builder.Build();
        // Listen to meters before anything runs: counts made during the initial load must show.
        app.Services.StartMetrics();
        app.MapFenceEndpoints();
        app.MapRolloutEndpoints();
        if (embedded)
        {
            app.MapGateway(options.XdsPort);
            app.MapIngestEndpoints();
            // Embedded, this process's own grains are what its gateway serves: ready when both are.
            app.MapHealthEndpoints(sp => IngestHost.Readiness(sp) is { Ready: false } ingest ? ingest : GatewayHost.Readiness(sp));
        }
        else
        {
            app.MapHealthEndpoints(sp => sp.GetRequiredService<ISiloStatusOracle>().CurrentStatus == SiloStatus.Active
                ? (true, "")
                : (false, "silo is not active in the cluster yet"));
        }
        return app;
    }
}
