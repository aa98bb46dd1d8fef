using Mesh.Grains.Hosting;
using Orleans.TestingHost;

namespace Mesh.Grains.Tests;

/// <summary>One in-process Orleans cluster (memory storage) shared by a test class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddMemoryGrainStorage(GrainStorage.Name));
        builder.ConfigureHost(host => host.Services.AddMeshGrains());
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes namespaces as the ingest does: each service's definition first, then the namespace
    /// config, then the mesh's namespace list (every namespace defined so far in this cluster).
    /// </summary>
    public async Task DefineAsync(params Dtos.NamespaceConfig[] configs)
    {
        foreach (var config in configs)
        {
            foreach (var s in config.Services)
            {
                await Client.GetGrain<IServiceGrain>(Keys.ServiceKey.From(s.Hostname)).UpdateAsync(new Dtos.ServiceUpdate { Definition = s, Endpoints = [] });
            }
            await Client.GetGrain<INamespaceGrain>(config.Namespace).UpdateAsync(config);
        }
        System.Collections.Immutable.ImmutableArray<string> all;
        lock (_namespaces)
        {
            _namespaces.UnionWith(configs.Select(c => c.Namespace));
            all = [.. _namespaces];
        }
        await Client.GetGrain<IMeshGrain>(Keys.MeshKey.Default).SetNamespacesAsync(all);
    }
}
