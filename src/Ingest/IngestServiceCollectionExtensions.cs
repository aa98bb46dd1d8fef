using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.Ingest;

/// <summary>Registers the manifest-directory source and the ingest status.</summary>
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
}
