using k8s;
using Mesh.Ingest.Kubernetes;
using Mesh.Ingest.Kubernetes.Leadership;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest;

/// <summary>Registers a source of truth (a manifest directory, or a Kubernetes cluster) and the ingest status.</summary>
public static class IngestServiceCollectionExtensions
{
    public static IServiceCollection AddManifestDirectorySource(this IServiceCollection services, Action<ManifestSourceOptions> configure)
    {
        services.AddOptions<ManifestSourceOptions>().BindConfiguration(ManifestSourceOptions.Section).Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Directory), "Manifests:Directory is empty: pass --manifests DIR or set Manifests__Directory.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Model.Translation.MeshSettings.Default);
        services.TryAddSingleton<IngestStatus>();
        services.TryAddSingleton<GrainWriter>();
        services.AddHostedService<ManifestDirectorySource>();
        return services;
    }

    /// <summary>
    /// Registers the Kubernetes source: informers over the API server that <see cref="KubernetesSourceOptions"/>
    /// name (a kubeconfig, an explicit URL, or the in-cluster service account), applying per-namespace batches.
    /// </summary>
    public static IServiceCollection AddKubernetesSource(this IServiceCollection services, Action<KubernetesSourceOptions> configure)
    {
        services.AddOptions<KubernetesSourceOptions>().BindConfiguration(KubernetesSourceOptions.Section).Configure(configure)
            .Validate(o => o.DebounceAfter > TimeSpan.Zero && o.DebounceMax >= o.DebounceAfter, "Kubernetes:DebounceAfter must be positive and at most DebounceMax.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KubernetesSourceOptions>, KubernetesSourceOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Model.Translation.MeshSettings.Default);
        services.TryAddSingleton<IngestStatus>();
        services.TryAddSingleton<GrainWriter>();
        services.TryAddSingleton<IKubernetes>(sp => new k8s.Kubernetes(KubernetesClientConfigurationOf(sp.GetRequiredService<IOptions<KubernetesSourceOptions>>().Value)));
        services.TryAddSingleton<IKubeApi>(sp => new KubernetesApi(sp.GetRequiredService<IKubernetes>()));
        services.AddIngestLeaderElection(enabled: sp => sp.GetRequiredService<IOptions<KubernetesSourceOptions>>().Value.LeaderElection);
        services.TryAddSingleton(sp => new KubernetesSource(
            sp.GetRequiredService<IOptions<KubernetesSourceOptions>>(), sp.GetRequiredService<IKubeApi>(), sp.GetRequiredService<Orleans.IGrainFactory>(),
            sp.GetRequiredService<GrainWriter>(), sp.GetRequiredService<IngestStatus>(), sp.GetRequiredService<Model.Translation.MeshSettings>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<KubernetesSource>>(),
            sp.GetRequiredService<IOptions<KubernetesSourceOptions>>().Value.LeaderElection ? sp.GetRequiredService<IngestLeaderElection>() : null));
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesSource>());
        return services;
    }

    /// <summary>An explicit API URL, else the kubeconfig file, else in-cluster when in a pod, else ~/.kube/config.</summary>
    public static KubernetesClientConfiguration KubernetesClientConfigurationOf(KubernetesSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Host))
        {
            return new KubernetesClientConfiguration { Host = options.Host };
        }
        if (!string.IsNullOrWhiteSpace(options.Kubeconfig))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig, options.Context);
        }
        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: options.Context);
    }
}
