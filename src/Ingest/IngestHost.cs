using System.Net;
using Mesh.Hosting;
using Mesh.Ingest.Kubernetes;
using Mesh.Ingest.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Ingest;

/// <summary>The stand-alone ingest: an Orleans client that keeps the grains in sync with a manifest directory or a Kubernetes cluster.</summary>
public static class IngestHost
{
    /// <summary>Section <c>Mesh</c> key for the manifest directory (env <c>Mesh__Manifests</c>).</summary>
    public const string ManifestsKey = "Mesh:Manifests";

    /// <summary>Section <c>Mesh</c> key for a kubeconfig path or <c>in-cluster</c> (env <c>Mesh__Kubeconfig</c>): serve a Kubernetes cluster.</summary>
    public const string KubeconfigKey = "Mesh:Kubeconfig";

    /// <summary>Section <c>Mesh</c> key for an API server URL used as is (env <c>Mesh__KubeApi</c>).</summary>
    public const string KubeApiKey = "Mesh:KubeApi";

    public static WebApplication BuildStandalone(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var cluster = builder.AddMeshClusterOptions(requireRedis: true);
        var manifests = builder.Configuration[ManifestsKey];
        var kubeconfig = builder.Configuration[KubeconfigKey];
        var kubeApi = builder.Configuration[KubeApiKey];
        var kubernetes = !string.IsNullOrWhiteSpace(kubeconfig) || !string.IsNullOrWhiteSpace(kubeApi);
        if (string.IsNullOrWhiteSpace(manifests) && !kubernetes)
        {
            throw new InvalidOperationException($"no source of truth: set Mesh__Manifests=DIR (a directory of Kubernetes/Istio manifests), or Mesh__Kubeconfig=PATH|in-cluster or Mesh__KubeApi=URL (a Kubernetes cluster).");
        }
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(cluster.ListenAddress), cluster.AdminPort, l => l.Protocols = HttpProtocols.Http1));
        HostLogging.Configure(builder);
        builder.UseOrleansClient(c => c.UseMeshCluster(cluster));
        if (kubernetes)
        {
            // Selectors and timings come from the Kubernetes section (Kubernetes__DiscoverySelectors__0=...).
            builder.Services.AddKubernetesSource(o =>
            {
                o.Kubeconfig = kubeconfig is null or "in-cluster" ? null : kubeconfig;
                o.Host = string.IsNullOrWhiteSpace(kubeApi) ? null : kubeApi;
            });
        }
        else
        {
            builder.Services.AddManifestDirectorySource(o => o.Directory = manifests!);
        }
        builder.Services.AddPrometheusMetrics();

        var app = builder.Build();
        app.Services.StartMetrics();
        app.MapIngestEndpoints();
        app.MapHealthEndpoints(Readiness);
        return app;
    }

    /// <summary>
    /// Ready once the first full load has been applied to the grains (manifests), or as
    /// <see cref="KubernetesSource.Readiness"/> says (a follower is ready once it has listed everything).
    /// </summary>
    public static (bool Ready, string Why) Readiness(IServiceProvider sp) =>
        sp.GetService<KubernetesSource>() is { } kubernetes ? kubernetes.Readiness()
        : sp.GetRequiredService<IngestStatus>().Current.Synced ? (true, "") : (false, "initial manifests are still loading");
}
