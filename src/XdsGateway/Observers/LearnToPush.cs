using System.Collections.Immutable;
using System.Diagnostics;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// <c>mesh_fence_learn_to_push_seconds</c>: from a learning event arriving at this gateway (a
/// fallback access-log entry, an on-demand cluster subscription, a proxyless subscription) to each
/// stream of that fence on this gateway ACKing a cluster set that holds the host. One observation
/// per (host, stream); an entry no stream ACKs within <see cref="Horizon"/> is dropped uncounted
/// (its proxies are on other gateways). Bounded: at most <see cref="MaxPending"/> pending hosts.
/// </summary>
internal sealed class LearnToPush(XdsMetrics metrics)
{
    internal const int MaxPending = 10_000;
    internal static readonly TimeSpan Horizon = TimeSpan.FromSeconds(60);

    private sealed record Pending(string Host, string Source, long Start, HashSet<string> Seen);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Pending>> _byFence = new(StringComparer.Ordinal);
    private readonly Queue<(string Fence, Pending Entry)> _byAge = new(); // oldest first: pruning touches only what expired
    private int _count;

    /// <summary>Hosts of <paramref name="fence"/> reported at <paramref name="start"/> (<see cref="Stopwatch.GetTimestamp"/>), before the fence grain is told.</summary>
    public void Learning(string fence, IEnumerable<string> hosts, string source, long start)
    {
        lock (_gate)
        {
            Prune(start);
            if (!_byFence.TryGetValue(fence, out var list))
            {
                _byFence[fence] = list = [];
            }
            foreach (var host in hosts)
            {
                if (_count >= MaxPending || _byAge.Count >= 4 * MaxPending)
                {
                    return;
                }
                if (!list.Exists(p => p.Host == host))
                {
                    var pending = new Pending(host, source, start, new HashSet<string>(StringComparer.Ordinal));
                    list.Add(pending);
                    _byAge.Enqueue((fence, pending));
                    _count++;
                }
            }
        }
    }

    /// <summary>The fence grain knew these hosts already: nothing will be pushed for them.</summary>
    public void Known(string fence, IEnumerable<string> hosts)
    {
        lock (_gate)
        {
            if (_byFence.TryGetValue(fence, out var list))
            {
                var known = hosts.ToHashSet(StringComparer.Ordinal);
                _count -= list.RemoveAll(p => known.Contains(p.Host));
                if (list.Count == 0)
                {
                    _byFence.Remove(fence);
                }
            }
        }
    }

    /// <summary>A stream of <paramref name="fence"/> ACKed the clusters <paramref name="acked"/> (by name): observes each pending host they now hold.</summary>
    public void OnClusterAck(string fence, string streamId, ImmutableSortedDictionary<string, XdsResource> acked)
    {
        List<(string Source, double Seconds)>? observed = null;
        lock (_gate)
        {
            if (!_byFence.TryGetValue(fence, out var list))
            {
                return;
            }
            var now = Stopwatch.GetTimestamp();
            foreach (var p in list)
            {
                if (!p.Seen.Contains(streamId) && HoldsClusterOf(acked, p.Host))
                {
                    p.Seen.Add(streamId);
                    (observed ??= []).Add((p.Source, Stopwatch.GetElapsedTime(p.Start, now).TotalSeconds));
                }
            }
        }
        foreach (var (source, seconds) in observed ?? [])
        {
            metrics.OnLearnToPush(source, seconds);
        }
    }

    /// <summary>Whether an outbound cluster of <paramref name="host"/> (any port or subset) is among <paramref name="clusters"/>.</summary>
    private static bool HoldsClusterOf(ImmutableSortedDictionary<string, XdsResource> clusters, string host)
    {
        foreach (var (name, _) in clusters)
        {
            if (name.EndsWith(host, StringComparison.Ordinal) && ResourceNames.TryParseOutbound(name, out _, out _, out var h) && h == host)
            {
                return true;
            }
        }
        return false;
    }

    private void Prune(long now)
    {
        while (_byAge.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.Entry.Start, now) > Horizon)
        {
            _byAge.Dequeue();
            // Gone already when the fence grain knew the host (Known): then it is not in the list.
            if (_byFence.TryGetValue(oldest.Fence, out var list) && list.Remove(oldest.Entry))
            {
                _count--;
                if (list.Count == 0)
                {
                    _byFence.Remove(oldest.Fence);
                }
            }
        }
    }
}
