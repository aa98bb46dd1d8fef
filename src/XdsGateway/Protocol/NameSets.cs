using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Resource names and name sets shared across streams. Every request parses its names into new
/// strings, and 20,000 sidecars subscribing to the same 50 clusters would otherwise each hold 50
/// strings and a 50-name set per type: the largest share of a stream's memory. Names are pooled
/// and equal sets are one instance, both held weakly: a name or set no stream holds any more is
/// collected, so names a client invented go with its stream (S-05).
/// </summary>
internal static class NameSets
{
    /// <summary>Pooled names added before dead entries are swept (then twice the live count).</summary>
    internal const int MinSweep = 16_384;

    // Keyed by the name's hash; the value holds the name weakly. Two names with one hash: the
    // second is simply not pooled (it stays valid, only unshared).
    private static readonly ConcurrentDictionary<int, WeakReference<string>> Names = new();
    private static readonly Lock SweepGate = new();
    private static int _added;
    private static int _sweepAt = MinSweep;
    private static readonly WeakInterner<(int Count, long Hash), ImmutableHashSet<string>> Sets = new((a, b) => a.SetEquals(b));

    public static readonly ImmutableHashSet<string> Empty = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Entries in the name pool, live or not yet swept.</summary>
    internal static int PooledCount => Names.Count;

    /// <summary>The pooled instance of <paramref name="name"/>.</summary>
    public static string Name(string name)
    {
        var hash = StringComparer.Ordinal.GetHashCode(name);
        if (Names.TryGetValue(hash, out var weak))
        {
            if (weak.TryGetTarget(out var pooled))
            {
                return string.Equals(pooled, name, StringComparison.Ordinal) ? pooled : name;
            }
            weak.SetTarget(name); // the pooled one was collected: this one takes its slot
            return name;
        }
        if (Names.TryAdd(hash, new WeakReference<string>(name)) && Interlocked.Increment(ref _added) >= Volatile.Read(ref _sweepAt))
        {
            Sweep();
        }
        return name;
    }

    private static void Sweep()
    {
        lock (SweepGate)
        {
            if (Volatile.Read(ref _added) < _sweepAt)
            {
                return; // another thread swept meanwhile
            }
            foreach (var entry in Names)
            {
                if (!entry.Value.TryGetTarget(out _))
                {
                    Names.TryRemove(entry);
                }
            }
            var live = Names.Count;
            Volatile.Write(ref _added, live);
            Volatile.Write(ref _sweepAt, Math.Max(MinSweep, live * 2));
        }
    }

    /// <summary>The names in one of the two sets and not the other: those of <paramref name="now"/> first.</summary>
    public static IEnumerable<string> SymmetricDifference(IReadOnlySet<string> now, IReadOnlySet<string> before) =>
        now.Where(n => !before.Contains(n)).Concat(before.Where(n => !now.Contains(n)));

    /// <summary>The shared set holding exactly <paramref name="names"/> (duplicates collapse), of pooled names.</summary>
    public static ImmutableHashSet<string> Of(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        // Most sets a stream sends exist already (the peers of its scope sent them): found by the
        // count and hash of the names, checked name by name, without building a set to compare.
        var count = 0;
        long sum = 0;
        foreach (var n in names)
        {
            count++;
            sum += StringComparer.Ordinal.GetHashCode(n);
        }
        if (count == 0)
        {
            return Empty;
        }
        if (count <= MaxLookedUp && Sets.TryFind((count, sum), set => HoldsExactly(set, names, count), out var known))
        {
            return known;
        }
        var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var n in names)
        {
            builder.Add(Name(n));
        }
        var set = builder.ToImmutable();
        // Order-independent: a sum of the names' hashes (the one taken above, unless names repeated).
        var hash = set.Count == count ? sum : set.Sum(n => (long)StringComparer.Ordinal.GetHashCode(n));
        return Sets.Intern((set.Count, hash), set);
    }

    /// <summary>
    /// Sets of more names are built, not looked up: the check keeps a set of the names per thread,
    /// and one sized for a client's 50,000 invented names would stay with every thread that checked
    /// them (S-05). A proxy's subscription is a few hundred names.
    /// </summary>
    internal const int MaxLookedUp = 4096;

    [ThreadStatic]
    private static HashSet<string>? _seen;

    /// <summary>True when <paramref name="names"/> (<paramref name="count"/> of them) are exactly the names of <paramref name="set"/>: each in it, none twice.</summary>
    internal static bool HoldsExactly(ImmutableHashSet<string> set, IEnumerable<string> names, int count)
    {
        if (set.Count != count)
        {
            return false;
        }
        var seen = _seen ??= new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var n in names)
            {
                // A name twice would leave one of the set's names unmatched.
                if (!set.Contains(n) || !seen.Add(n))
                {
                    return false;
                }
            }
            return true;
        }
        finally
        {
            seen.Clear(); // holds no name past the call: a name no stream holds is collected (S-05)
        }
    }
}
