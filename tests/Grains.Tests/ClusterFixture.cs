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
}
