using Mesh.Grains;
using Mesh.Grains.Hosting;
using Orleans.TestingHost;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>
/// One in-process Orleans cluster (memory storage) hosting the writer fence and the grains it guards.
/// The fence has one key, so a test that needs a fresh fence starts its own cluster.
/// </summary>
public sealed class LeadershipClusterFixture : IAsyncLifetime
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
