using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Orleans.Concurrency;

namespace Mesh.Grains;

/// <summary>
/// The sync status of the nodes of one shard (key: <see cref="ProxyStatusShards.Of"/> of the node
/// id): identity, gateway, last sent/ACKed/NACKed version per type. A gateway reports all the
/// nodes of a shard in one call: a change pushed to 20,000 proxies costs at most
/// <see cref="ProxyStatusShards.Count"/> status calls per gateway, not 20,000 (a grain call per
/// proxy was a tenth of the mesh's CPU per change). In memory only: rebuilt from the next reports.
/// </summary>
[Alias("mesh.IProxyStatusGrain")]
public interface IProxyStatusGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Nodes' connections (if new) and protocol events since the last report, in one one-way call:
    /// status bookkeeping is never on the path that serves a proxy, and a slow grain cannot delay
    /// or end a stream.
    /// </summary>
    [OneWay, Alias("Report")]
    Task ReportAsync(ImmutableArray<NodeReport> reports);

    /// <summary>The node's stream on <paramref name="gatewayId"/> ended (ignored once it reconnected elsewhere).</summary>
    [Alias("Disconnect")]
    Task DisconnectAsync(string nodeId, string gatewayId);

    [Alias("GetStatus")]
    Task<ProxyStatus?> GetStatusAsync(string nodeId);
}

/// <summary>Which status shard keeps a node: a hash of its id that every process computes alike.</summary>
public static class ProxyStatusShards
{
    /// <summary>Shards: status calls per gateway flush at most this many.</summary>
    public const int Count = 32;

    /// <summary>The shard of <paramref name="nodeId"/> (FNV-1a of its UTF-16 code units; not the runtime's per-process string hash).</summary>
    public static int Of(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        var hash = 2166136261u;
        foreach (var c in nodeId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Count);
    }
}
