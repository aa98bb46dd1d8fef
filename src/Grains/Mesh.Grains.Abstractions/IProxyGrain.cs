using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One connected node. Key: the node id (<c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>). Records
/// identity, gateway and last sent/ACKed/NACKed version per type, for status and rollout gates.
/// </summary>
[Alias("mesh.IProxyGrain")]
public interface IProxyGrain : IGrainWithStringKey
{

    [Alias("Disconnect")]
    Task DisconnectAsync(string gatewayId);

    /// <summary>
    /// The node's connection (if new) and its protocol events since the last report. One-way and
    /// batched by the gateway once its pushes pause: status bookkeeping is never on the path that
    /// serves a proxy its config, and a slow proxy grain cannot delay or end a stream.
    /// </summary>
    [OneWay, Alias("Report")]
    Task ReportAsync(ProxyReport report);

    [Alias("GetStatus")]
    Task<ProxyStatus?> GetStatusAsync();
}
