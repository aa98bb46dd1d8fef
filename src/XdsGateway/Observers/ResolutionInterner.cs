using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Makes equal resolutions one instance across a gateway's streams: 20,000 sidecars of one scope
/// hold one resolved set per type instead of 20,000 copies, and what streams derive from a set
/// (its version hash, the diff from the previous set) is computed once. Entries are weak, so a set
/// no stream holds any more is collected; dead entries are swept as the table grows.
/// </summary>
internal sealed class ResolutionInterner
{
    private const int MinSweep = 1024;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string TypeUrl, bool Complete, string Version), WeakReference<ResolvedResources>> _table = [];
    private int _sweepAt = MinSweep;

    /// <summary>Live entries after the last sweep plus those added since (for tests and metrics).</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _table.Count;
            }
        }
    }

    /// <summary>The shared instance equal to <paramref name="resolved"/>; <paramref name="resolved"/> itself if it is the first.</summary>
    public ResolvedResources Intern(string typeUrl, ResolvedResources resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var key = (typeUrl, resolved.Complete, resolved.Version);
        lock (_gate)
        {
            if (_table.TryGetValue(key, out var weak))
            {
                // The version is a 64-bit hash of names and versions; compare the content so a
                // collision can never hand one stream another stream's set.
                if (weak.TryGetTarget(out var existing) && existing.SameContent(resolved))
                {
                    return existing;
                }
                weak.SetTarget(resolved);
                return resolved;
            }
            _table[key] = new WeakReference<ResolvedResources>(resolved);
            if (_table.Count >= _sweepAt)
            {
                foreach (var dead in _table.Where(e => !e.Value.TryGetTarget(out _)).Select(e => e.Key).ToList())
                {
                    _table.Remove(dead);
                }
                _sweepAt = Math.Max(MinSweep, _table.Count * 2);
            }
            return resolved;
        }
    }
}
