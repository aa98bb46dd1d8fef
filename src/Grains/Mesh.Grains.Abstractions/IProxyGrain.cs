using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One connected node. Key: the node id (<c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>). Answers
/// for the node's identity, gateway and last sent/ACKed/NACKed version per type, for status and
/// rollout gates; gateways report these in batches to the node's status shard
/// (<see cref="IProxyStatusGrain"/>), which keeps them.
/// </summary>
[Alias("mesh.IProxyGrain")]
public interface IProxyGrain : IGrainWithStringKey
{
    [Alias("GetStatus")]
    Task<ProxyStatus?> GetStatusAsync();
}
