namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Hands out one shared instance per distinct value, held weakly: a value nothing else holds any
/// more is collected, and dead entries are swept as a table grows. The key is a cheap summary
/// of the value (a hash); <c>same</c> decides true equality, so a key collision never makes two
/// different values share an instance. Thread-safe; the table is split into stripes with a lock
/// each, because thousands of streams intern at once while proxies connect.
/// </summary>
internal sealed class WeakInterner<TKey, TValue>(Func<TValue, TValue, bool> same)
    where TKey : notnull
    where TValue : class
{
    private const int Stripes = 16;
    private const int MinSweep = 64;
    private readonly Stripe[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new Stripe())];

    /// <summary>Entries in the table, live or not yet swept.</summary>
    public int Count => _stripes.Sum(s => s.Count);

    /// <summary>The shared instance equal to <paramref name="value"/>; <paramref name="value"/> itself if it is the first.</summary>
    public TValue Intern(TKey key, TValue value) =>
        _stripes[(key.GetHashCode() & int.MaxValue) % Stripes].Intern(key, value, same);

    /// <summary>The live shared instance under <paramref name="key"/> that <paramref name="matches"/> accepts, if any: a lookup without a value built to compare.</summary>
    public bool TryFind(TKey key, Func<TValue, bool> matches, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TValue? found) =>
        _stripes[(key.GetHashCode() & int.MaxValue) % Stripes].TryFind(key, matches, out found);

    private sealed class Stripe
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<TKey, WeakReference<TValue>> _table = [];
        private int _sweepAt = MinSweep;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _table.Count;
                }
            }
        }

        public bool TryFind(TKey key, Func<TValue, bool> matches, out TValue? found)
        {
            WeakReference<TValue>? weak;
            lock (_gate)
            {
                _table.TryGetValue(key, out weak);
            }
            // The comparison runs outside the lock: it may take a while (a set of hundreds of names).
            if (weak is not null && weak.TryGetTarget(out var existing) && matches(existing))
            {
                found = existing;
                return true;
            }
            found = null;
            return false;
        }

        public TValue Intern(TKey key, TValue value, Func<TValue, TValue, bool> same)
        {
            lock (_gate)
            {
                if (_table.TryGetValue(key, out var weak))
                {
                    if (weak.TryGetTarget(out var existing) && same(existing, value))
                    {
                        return existing;
                    }
                    // Dead, or a collision: the newer value takes the slot (the other stays unshared).
                    weak.SetTarget(value);
                    return value;
                }
                _table[key] = new WeakReference<TValue>(value);
                if (_table.Count >= _sweepAt)
                {
                    foreach (var dead in _table.Where(e => !e.Value.TryGetTarget(out _)).Select(e => e.Key).ToList())
                    {
                        _table.Remove(dead);
                    }
                    _sweepAt = Math.Max(MinSweep, _table.Count * 2);
                }
                return value;
            }
        }
    }
}
