using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Proxy;

/// <summary>
/// One status shard: the sync status of the nodes whose ids hash to it, from the gateways' batched
/// reports (see <see cref="IProxyStatusGrain"/>). In memory only: rebuilt from the next reports.
/// </summary>
[GrainType("proxystatus")]
internal sealed class ProxyStatusGrain(TimeProvider time, ILogger<ProxyStatusGrain> logger) : MeshGrainBase("proxystatus"), IProxyStatusGrain
{
    private readonly ProxyStatusTable _table = new(time, logger);

    public Task ReportAsync(ImmutableArray<NodeReport> reports)
    {
        foreach (var (nodeId, report) in reports.IsDefault ? [] : reports)
        {
            _table.Apply(nodeId, report);
        }
        _table.Sweep();
        return Task.CompletedTask;
    }

    public Task DisconnectAsync(string nodeId, string gatewayId)
    {
        _table.Disconnect(nodeId, gatewayId);
        _table.Sweep();
        return Task.CompletedTask;
    }

    public Task<ProxyStatus?> GetStatusAsync(string nodeId) => Task.FromResult(_table.Get(nodeId));
}
