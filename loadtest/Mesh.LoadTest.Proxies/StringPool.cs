using System.Collections.Concurrent;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// Shares name and version strings between the proxies of a swarm, so 10,000 proxies holding the
/// same 1,000 clusters keep one copy of each name instead of 10,000.
/// </summary>
public sealed class StringPool
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    public int Count => _strings.Count;

    public string Intern(string value) => _strings.GetOrAdd(value, value);
}
