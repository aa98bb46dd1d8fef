using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>Registers <see cref="IngestLeaderElection"/> as a singleton that runs as a hosted service (when <c>enabled</c> says so).</summary>
public static class IngestLeaderElectionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the leader election (section <see cref="IngestLeaderElectionOptions.Section"/>, validated at start).
    /// The host registers <c>k8s.IKubernetes</c> and an Orleans client (<c>IGrainFactory</c>).
    /// <paramref name="enabled"/> decides at start whether the election runs at all (null: it does);
    /// when it does not, no Lease is touched and no epoch claimed.
    /// </summary>
    public static IServiceCollection AddIngestLeaderElection(
        this IServiceCollection services,
        Action<OptionsBuilder<IngestLeaderElectionOptions>>? configure = null,
        Func<IServiceProvider, bool>? enabled = null)
    {
        var options = services.AddOptions<IngestLeaderElectionOptions>().BindConfiguration(IngestLeaderElectionOptions.Section).ValidateOnStart();
        configure?.Invoke(options);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestLeaderElectionOptions>, IngestLeaderElectionOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestLeaderElection>();
        services.AddSingleton<IHostedService>(sp => enabled is null || enabled(sp) ? sp.GetRequiredService<IngestLeaderElection>() : NotRunning.Instance);
        return services;
    }

    /// <summary>Stands in for a disabled election among the hosted services.</summary>
    private sealed class NotRunning : IHostedService
    {
        public static readonly NotRunning Instance = new();

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
