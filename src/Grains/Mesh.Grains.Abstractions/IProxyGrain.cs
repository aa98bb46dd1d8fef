using Orleans.Concurrency;
using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One connected node. Key: the node id (<c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>). Records
/// identity, gateway and last sent/ACKed/NACKed version per type, for status and rollout gates.
/// </summary>
[Alias("mesh.IProxyGrain")]
public interface IProxyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a connection. One-way: status bookkeeping is never on the path that serves a proxy
    /// its config (a slow proxy grain must not delay or end a stream).
    /// </summary>
    [OneWay, Alias("Connect")]
    Task ConnectAsync(ProxyRegistration registration);

    [Alias("Disconnect")]
    Task DisconnectAsync(string gatewayId);

    [OneWay, Alias("Report")]
    Task ReportAsync(ImmutableArray<ProxyEvent> events);

    [Alias("GetStatus")]
    Task<ProxyStatus?> GetStatusAsync();
}
