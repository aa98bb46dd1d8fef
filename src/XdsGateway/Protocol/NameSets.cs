using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Resource names and name sets shared across streams. Every request parses its names into new
/// strings, and 20,000 sidecars subscribing to the same 50 clusters would otherwise each hold 50
/// strings and a 50-name set per type: the largest share of a stream's memory. Names are pooled
/// (bounded: when the pool is full it starts over; names already handed out stay valid) and equal
/// sets are one instance (held weakly, so an unused set is collected).
/// </summary>
internal static class NameSets
{
    /// <summary>Most pooled names before the pool starts over (a bound against clients inventing names).</summary>
    internal const int MaxPooledNames = 1_000_000;

    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly WeakInterner<(int Count, long Hash), ImmutableHashSet<string>> Sets = new((a, b) => a.SetEquals(b));

    public static readonly ImmutableHashSet<string> Empty = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>The pooled instance of <paramref name="name"/>.</summary>
    public static string Name(string name)
    {
        if (Names.TryGetValue(name, out var pooled))
        {
            return pooled;
        }
        if (Names.Count >= MaxPooledNames)
        {
            Names.Clear();
        }
        return Names.GetOrAdd(name, name);
    }

    /// <summary>The shared set holding exactly <paramref name="names"/> (duplicates collapse), of pooled names.</summary>
    public static ImmutableHashSet<string> Of(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var n in names)
        {
            builder.Add(Name(n));
        }
        if (builder.Count == 0)
        {
            return Empty;
        }
        var set = builder.ToImmutable();
        // Order-independent: a sum of the names' hashes.
        long hash = 0;
        foreach (var n in set)
        {
            hash += StringComparer.Ordinal.GetHashCode(n);
        }
        return Sets.Intern((set.Count, hash), set);
    }
}
