using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mesh.Grains.Serialization;

/// <summary>
/// Serializer set-up shared by silos and clients. Model types (config objects, services,
/// endpoints) stay free of Orleans attributes and travel as JSON; they only cross grain boundaries
/// inside <c>[Immutable]</c> DTOs, so in-silo calls never copy them.
/// </summary>
public static class MeshSerialization
{
    public static ISerializerBuilder AddMeshModel(this ISerializerBuilder builder) =>
        builder.AddJsonSerializer(isSupported: type => type.Namespace?.StartsWith("Mesh.Model", StringComparison.Ordinal) == true
            && type != typeof(Model.Translation.XdsResource));

    public static IServiceCollection AddMeshSerialization(this IServiceCollection services) =>
        services.AddSerializer(b => b.AddMeshModel());
}
