using System.Collections.Concurrent;
using Mesh.Grains;
using Mesh.Grains.Dtos;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Connections and sent/ACK/NACK events waiting to be reported to the nodes' status shards
/// (<see cref="IProxyStatusGrain"/>). A change pushed to 20,000 proxies produces a send and an ACK
/// per proxy; reporting each as its own grain call would cost more than the push. Events are kept
/// per node until the next flush: for sent and ACK only the latest version per type matters (the
/// shard records the last one), NACKs are all kept (the shard counts them), up to
/// <see cref="MaxNacksPerFlush"/> per node.
/// </summary>
/// <remarks>
/// Status is not on the push path, so it waits while the gateway is pushing (<see cref="IsDue"/>):
/// a fan-out to every stream is followed by as many report calls, and sending them while the
/// fan-out runs would take CPU from the slowest proxies' pushes. Waiting also merges more events
/// per call.
/// </remarks>
internal sealed class ProxyReports(TimeProvider time)
{
    internal const int MaxNacksPerFlush = 32;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _lastAddedAt;
    private long _oldestPendingAt;

    public ProxyReports()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Nodes with events waiting.</summary>
    public int PendingNodes => _pending.Count;

    /// <summary>Adds one event to the node's batch.</summary>
    public void Add(string nodeId, ProxyEvent e) => Put(nodeId, e, static (p, e) => p.TryAdd(e));

    /// <summary>
    /// True when events wait and either none was added for <paramref name="quiet"/> (the pushes
    /// that produce them are over) or the oldest has waited <paramref name="maxDelay"/> (pushes
    /// never stop: status lags by at most that).
    /// </summary>
    public bool IsDue(TimeSpan quiet, TimeSpan maxDelay)
    {
        var oldest = Volatile.Read(ref _oldestPendingAt);
        if (oldest == 0 || _pending.IsEmpty)
        {
            return false;
        }
        var now = time.GetTimestamp();
        return time.GetElapsedTime(Volatile.Read(ref _lastAddedAt), now) >= quiet
            || time.GetElapsedTime(oldest, now) >= maxDelay;
    }

    /// <summary>Records that the node connected; the registration goes with its next report.</summary>
    public void Connect(string nodeId, ProxyRegistration registration) => Put(nodeId, registration, static (p, r) => p.TryConnect(r));

    /// <summary>Puts something into the node's open batch, starting the flush wait if none was pending.</summary>
    private void Put<T>(string nodeId, T item, Func<Pending, T, bool> put)
    {
        var now = time.GetTimestamp();
        Volatile.Write(ref _lastAddedAt, now);
        Interlocked.CompareExchange(ref _oldestPendingAt, now, 0);
        while (!put(_pending.GetOrAdd(nodeId, static _ => new Pending()), item))
        {
            // Taken by a flush between GetOrAdd and the put: start a new batch.
        }
    }

    /// <summary>Removes and returns the report of <paramref name="nodeId"/> (empty if none).</summary>
    public ProxyReport Take(string nodeId) =>
        _pending.TryRemove(nodeId, out var pending) ? pending.Close() : new ProxyReport(null, []);

    /// <summary>Removes and returns every node's report.</summary>
    public List<NodeReport> TakeAll()
    {
        // Events added from here on start the next wait; one added before a batch is taken below
        // is in it, so the next flush at worst waits for nothing.
        Volatile.Write(ref _oldestPendingAt, 0);
        var batches = new List<NodeReport>(_pending.Count);
        foreach (var nodeId in _pending.Keys)
        {
            if (_pending.TryRemove(nodeId, out var pending) && pending.Close() is { IsEmpty: false } report)
            {
                batches.Add(new NodeReport(nodeId, report));
            }
        }
        if (!_pending.IsEmpty)
        {
            Interlocked.CompareExchange(ref _oldestPendingAt, time.GetTimestamp(), 0);
        }
        return batches;
    }

    private sealed class Pending
    {
        private readonly List<ProxyEvent> _events = new(4);
        private ProxyRegistration? _connected;
        private bool _closed;
        private int _nacks;

        public bool TryAdd(ProxyEvent e)
        {
            lock (_events)
            {
                if (_closed)
                {
                    return false;
                }
                if (e.Kind == ProxyEventKind.Nack)
                {
                    if (_nacks++ < MaxNacksPerFlush)
                    {
                        _events.Add(e);
                    }
                    return true;
                }
                for (var i = 0; i < _events.Count; i++)
                {
                    if (_events[i].Kind == e.Kind && string.Equals(_events[i].TypeUrl, e.TypeUrl, StringComparison.Ordinal))
                    {
                        _events.RemoveAt(i);
                        break;
                    }
                }
                _events.Add(e);
                return true;
            }
        }

        public bool TryConnect(ProxyRegistration registration)
        {
            lock (_events)
            {
                if (_closed)
                {
                    return false;
                }
                // A new connection starts the node's status over: events of the stream before it are moot.
                _connected = registration;
                _events.Clear();
                _nacks = 0;
                return true;
            }
        }

        public ProxyReport Close()
        {
            lock (_events)
            {
                _closed = true;
                return new ProxyReport(_connected, [.. _events]);
            }
        }
    }
}
