using System.Globalization;
using System.Text;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Proxies;

/// <summary>A snapshot of one simulated proxy: what it holds per type, its counters, its connection and its violations.</summary>
public sealed class ProxyView
{
    private readonly IReadOnlyDictionary<string, HeldResource>[] _held;

    internal ProxyView(
        string id,
        ProxyMode mode,
        Uri? connectedTo,
        int streams,
        IReadOnlyDictionary<string, HeldResource>[] held,
        ProxyCounters counters,
        IReadOnlyList<string> violations,
        string? lastFailure,
        string? fatalError)
    {
        Id = id;
        Mode = mode;
        ConnectedTo = connectedTo;
        Streams = streams;
        _held = held;
        Counters = counters;
        Violations = violations;
        LastFailure = lastFailure;
        FatalError = fatalError;
    }

    public string Id { get; }

    public ProxyMode Mode { get; }

    /// <summary>The gateway of the current stream; null between streams.</summary>
    public Uri? ConnectedTo { get; }

    /// <summary>Streams opened so far (1 + reconnects).</summary>
    public int Streams { get; }

    public ProxyCounters Counters { get; }

    /// <summary>The first SAFETY violations, described (bounded; <see cref="ProxyCounters.SafetyViolations"/> counts all).</summary>
    public IReadOnlyList<string> Violations { get; }

    /// <summary>Why the last stream ended, if one did.</summary>
    public string? LastFailure { get; }

    /// <summary>Set when the proxy gave up reconnecting.</summary>
    public string? FatalError { get; }

    /// <summary>Name → held resource for one type.</summary>
    public IReadOnlyDictionary<string, HeldResource> Held(string typeUrl) =>
        ProxyCounters.IndexOf(typeUrl) is var t and >= 0 ? _held[t] : new Dictionary<string, HeldResource>();

    public int Count(string typeUrl) => Held(typeUrl).Count;

    public string? Version(string typeUrl, string name) => Held(typeUrl).TryGetValue(name, out var r) ? r.Version : null;

    /// <summary>True if the proxy holds <paramref name="name"/> (at <paramref name="version"/>, if given).</summary>
    public bool Holds(string typeUrl, string name, string? version = null) =>
        Held(typeUrl).TryGetValue(name, out var r) && (version is null || r.Version == version);

    public bool HoldsAll(string typeUrl, IEnumerable<string> names) => names.All(n => Holds(typeUrl, n));

    public override string ToString()
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{Id} ({Mode}, streams {Streams}, at {ConnectedTo?.ToString() ?? "-"}): ");
        foreach (var type in TypeUrls.PushOrder)
        {
            var names = Held(type).Keys.Order(StringComparer.Ordinal).Take(8).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"{TypeUrls.ShortName(type)} {Count(type)} [{string.Join(", ", names)}{(Count(type) > names.Count ? ", …" : "")}]; ");
        }
        sb.Append(Counters);
        if (Violations.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; violations: {string.Join(" | ", Violations)}");
        }
        if (LastFailure is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; last failure: {LastFailure}");
        }
        if (FatalError is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; gave up: {FatalError}");
        }
        return sb.ToString();
    }
}
