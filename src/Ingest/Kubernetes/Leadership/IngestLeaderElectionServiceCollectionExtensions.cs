using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>Registers <see cref="IngestLeaderElection"/> as a singleton that runs as a hosted service.</summary>
public static class IngestLeaderElectionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the leader election (section <see cref="IngestLeaderElectionOptions.Section"/>, validated at start).
    /// The host registers <c>k8s.IKubernetes</c> and an Orleans client (<c>IGrainFactory</c>).
    /// </summary>
    public static IServiceCollection AddIngestLeaderElection(this IServiceCollection services, Action<OptionsBuilder<IngestLeaderElectionOptions>>? configure = null)
    {
        var options = services.AddOptions<IngestLeaderElectionOptions>().BindConfiguration(IngestLeaderElectionOptions.Section).ValidateOnStart();
        configure?.Invoke(options);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestLeaderElectionOptions>, IngestLeaderElectionOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestLeaderElection>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestLeaderElection>());
        return services;
    }
}
