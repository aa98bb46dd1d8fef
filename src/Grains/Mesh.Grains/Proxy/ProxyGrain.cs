using Mesh.Grains.Dtos;

namespace Mesh.Grains.Proxy;

/// <summary>
/// One node, by id: its status as its shard (<see cref="ProxyStatusGrain"/>) keeps it. Holds
/// nothing itself: gateways report to the shards in batches, never to 20,000 grains.
/// </summary>
[GrainType("proxy")]
internal sealed class ProxyGrain : MeshGrainBase, IProxyGrain
{
    public ProxyGrain()
        : base("proxy")
    {
    }

    public Task<ProxyStatus?> GetStatusAsync()
    {
        var id = this.GetPrimaryKeyString();
        return GrainFactory.GetGrain<IProxyStatusGrain>(ProxyStatusShards.Of(id)).GetStatusAsync(id);
    }
}
