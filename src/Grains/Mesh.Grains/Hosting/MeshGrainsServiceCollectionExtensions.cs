using Mesh.Grains.Catalog;
using Mesh.Grains.Serialization;
using Mesh.Model.Translation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.Grains.Hosting;

/// <summary>Registers what the grains need in a silo: settings, time, model serialization, the silo's catalog and the grain call counter.</summary>
public static class MeshGrainsServiceCollectionExtensions
{
    public static IServiceCollection AddMeshGrains(this IServiceCollection services, MeshSettings? settings = null)
    {
        services.TryAddSingleton(settings ?? MeshSettings.Default);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMeshSerialization();
        services.TryAddSingleton<SiloCatalog>();
        services.AddSingleton<IIncomingGrainCallFilter, GrainCallCounter>();
        return services;
    }
}
