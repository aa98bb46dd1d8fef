using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Proxy;

/// <summary>
/// One connected node: identity, gateway and per-type sync status. In memory only: it is rebuilt
/// from the next connection, so nothing here needs persisting.
/// </summary>
[GrainType("proxy")]
internal sealed partial class ProxyGrain(TimeProvider time, ILogger<ProxyGrain> logger) : MeshGrainBase("proxy"), IProxyGrain
{
    private readonly Dictionary<string, ProxyTypeStatus> _types = new(StringComparer.Ordinal);
    private ProxyRegistration? _registration;
    private bool _connected;
    private long _nacks;

    public Task DisconnectAsync(string gatewayId)
    {
        // A proxy that already reconnected elsewhere must not be marked gone by its old gateway.
        if (_registration?.GatewayId == gatewayId)
        {
            _connected = false;
        }
        return Task.CompletedTask;
    }

    public Task ReportAsync(ProxyReport report)
    {
        if (report.Connected is { } registration)
        {
            _registration = registration;
            _connected = true;
            _types.Clear();
        }
        foreach (var e in report.Events.IsDefault ? [] : report.Events)
        {
            var s = _types.GetValueOrDefault(e.TypeUrl) ?? new ProxyTypeStatus(e.TypeUrl, null, null, null, null, null);
            _types[e.TypeUrl] = e.Kind switch
            {
                ProxyEventKind.Sent => s with { Sent = e.Version },
                ProxyEventKind.Ack => s with { Acked = e.Version },
                _ => s with { Nacked = e.Version, LastError = e.Error, LastNackAt = time.GetUtcNow() },
            };
            if (e.Kind == ProxyEventKind.Nack)
            {
                _nacks++;
                GrainMetrics.ProxyNacks.Add(1, new KeyValuePair<string, object?>("type", TypeUrls.ShortName(e.TypeUrl)));
                LogNack(logger, this.GetPrimaryKeyString(), e.TypeUrl, e.Version, e.Error);
            }
        }
        return Task.CompletedTask;
    }

    public Task<ProxyStatus?> GetStatusAsync()
    {
        if (_registration is not { } r)
        {
            return Task.FromResult<ProxyStatus?>(null);
        }
        var types = TypeUrls.PushOrder.Select(t => _types.GetValueOrDefault(t) ?? new ProxyTypeStatus(t, null, null, null, null, null));
        return Task.FromResult<ProxyStatus?>(new ProxyStatus(r.NodeId, r.Kind, r.Namespace, r.Workload, r.GatewayId, _connected, [.. types], _nacks));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} NACKed {TypeUrl} version {Version}: {Error}")]
    private static partial void LogNack(ILogger logger, string proxyId, string typeUrl, string version, string? error);
}
