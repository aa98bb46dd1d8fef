using System.Collections.Concurrent;
using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Sent/ACK/NACK events waiting to be reported to ProxyGrains. A change pushed to 20,000 proxies
/// produces a send and an ACK per proxy; reporting each as its own grain call would cost more than
/// the push. Events are kept per node until the next flush: for sent and ACK only the latest
/// version per type matters (the grain records the last one), NACKs are all kept (the grain counts
/// them), up to <see cref="MaxNacksPerFlush"/> per node.
/// </summary>
internal sealed class ProxyReports
{
    internal const int MaxNacksPerFlush = 32;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>Nodes with events waiting.</summary>
    public int PendingNodes => _pending.Count;

    public void Add(string nodeId, ProxyEvent e)
    {
        while (true)
        {
            var pending = _pending.GetOrAdd(nodeId, static _ => new Pending());
            if (pending.TryAdd(e))
            {
                return;
            }

            // Taken by a flush between GetOrAdd and TryAdd: start a new batch.
        }
    }

    /// <summary>Removes and returns the events of <paramref name="nodeId"/> (empty if none).</summary>
    public ImmutableArray<ProxyEvent> Take(string nodeId) =>
        _pending.TryRemove(nodeId, out var pending) ? pending.Close() : [];

    /// <summary>Removes and returns every node's events.</summary>
    public List<(string NodeId, ImmutableArray<ProxyEvent> Events)> TakeAll()
    {
        var batches = new List<(string, ImmutableArray<ProxyEvent>)>(_pending.Count);
        foreach (var nodeId in _pending.Keys)
        {
            var events = Take(nodeId);
            if (!events.IsEmpty)
            {
                batches.Add((nodeId, events));
            }
        }
        return batches;
    }

    private sealed class Pending
    {
        private readonly List<ProxyEvent> _events = new(4);
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
                var i = _events.FindIndex(x => x.Kind == e.Kind && string.Equals(x.TypeUrl, e.TypeUrl, StringComparison.Ordinal));
                if (i >= 0)
                {
                    _events.RemoveAt(i);
                }
                _events.Add(e);
                return true;
            }
        }

        public ImmutableArray<ProxyEvent> Close()
        {
            lock (_events)
            {
                _closed = true;
                return [.. _events];
            }
        }
    }
}
