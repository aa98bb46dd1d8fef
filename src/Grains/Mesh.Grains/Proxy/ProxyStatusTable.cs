using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Proxy;

/// <summary>
/// The sync status of the nodes of one status shard (see <see cref="ProxyStatusGrain"/>). A node
/// that disconnected is forgotten after <see cref="ForgetAfter"/>: pods come and go, and their
/// status must not pile up. Used from the grain's turn only.
/// </summary>
internal sealed partial class ProxyStatusTable(TimeProvider time, ILogger logger)
{
    /// <summary>How long a disconnected node's status stays.</summary>
    internal static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep;

    /// <summary>Nodes held, connected or not yet forgotten.</summary>
    public int Count => _nodes.Count;

    public void Apply(string nodeId, ProxyReport report)
    {
        if (!_nodes.TryGetValue(nodeId, out var node))
        {
            if (report.Connected is null)
            {
                // Events of a node whose connection this shard never heard of (lost with a silo):
                // its next connection records it, and a connection starts the status over anyway.
                return;
            }
            _nodes[nodeId] = node = new Node();
        }
        if (report.Connected is { } registration)
        {
            node.Registration = registration;
            node.Connected = true;
            node.DisconnectedAt = null;
            node.Types.Clear();
        }
        foreach (var e in report.Events.IsDefault ? [] : report.Events)
        {
            var s = node.Types.GetValueOrDefault(e.TypeUrl) ?? new ProxyTypeStatus(e.TypeUrl, null, null, null, null, null);
            node.Types[e.TypeUrl] = e.Kind switch
            {
                ProxyEventKind.Sent => s with { Sent = e.Version },
                ProxyEventKind.Ack => s with { Acked = e.Version },
                _ => s with { Nacked = e.Version, LastError = e.Error, LastNackAt = time.GetUtcNow() },
            };
            if (e.Kind == ProxyEventKind.Nack)
            {
                node.Nacks++;
                GrainMetrics.ProxyNacks.Add(1, new KeyValuePair<string, object?>("type", TypeUrls.ShortName(e.TypeUrl)));
                LogNack(logger, nodeId, e.TypeUrl, e.Version, e.Error);
            }
        }
    }

    /// <summary>The node's stream on <paramref name="gatewayId"/> ended; ignored once it reconnected elsewhere.</summary>
    public void Disconnect(string nodeId, string gatewayId)
    {
        if (_nodes.TryGetValue(nodeId, out var node) && node.Registration?.GatewayId == gatewayId)
        {
            node.Connected = false;
            node.DisconnectedAt = time.GetUtcNow();
        }
    }

    public ProxyStatus? Get(string nodeId)
    {
        if (!_nodes.TryGetValue(nodeId, out var node) || node.Registration is not { } r)
        {
            return null;
        }
        var types = TypeUrls.PushOrder.Select(t => node.Types.GetValueOrDefault(t) ?? new ProxyTypeStatus(t, null, null, null, null, null));
        return new ProxyStatus(r.NodeId, r.Kind, r.Namespace, r.Workload, r.GatewayId, node.Connected, [.. types], node.Nacks);
    }

    /// <summary>Forgets nodes disconnected for <see cref="ForgetAfter"/> or longer; does the work at most once a minute.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }
        _nextSweep = now + SweepEvery;
        foreach (var (id, node) in _nodes)
        {
            if (node.DisconnectedAt is { } at && now - at >= ForgetAfter)
            {
                _nodes.Remove(id);
            }
        }
    }

    private sealed class Node
    {
        public ProxyRegistration? Registration { get; set; }

        public bool Connected { get; set; }

        public DateTimeOffset? DisconnectedAt { get; set; }

        public Dictionary<string, ProxyTypeStatus> Types { get; } = new(StringComparer.Ordinal);

        public long Nacks { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} NACKed {TypeUrl} version {Version}: {Error}")]
    private static partial void LogNack(ILogger logger, string proxyId, string typeUrl, string version, string? error);
}
