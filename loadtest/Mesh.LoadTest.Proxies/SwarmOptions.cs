namespace Mesh.LoadTest.Proxies;

/// <summary>How a <see cref="ProxySwarm"/> brings its proxies up.</summary>
public sealed record SwarmOptions
{
    /// <summary>Connect ramp: new streams started per second.</summary>
    public double ConnectsPerSecond { get; init; } = 200;

    /// <summary>At most this many proxies between starting and their first response.</summary>
    public int MaxConcurrentConnects { get; init; } = 64;

    /// <summary>Proxy i starts at gateway i mod n (its failover order rotates with it); false: every proxy starts at the first.</summary>
    public bool SpreadOverGateways { get; init; } = true;

    /// <summary>One channel per gateway shared by all proxies (HTTP/2 streams over a few connections) instead of one connection per proxy.</summary>
    public bool ShareChannels { get; init; }

    /// <summary>Intern names and versions across proxies (memory: one copy per distinct string).</summary>
    public bool ShareStrings { get; init; } = true;
}

/// <summary>The proxies of a swarm that satisfied a condition, and how long it took (until the last one did, or the timeout).</summary>
public sealed record SwarmWaitResult(int Satisfied, int Total, TimeSpan Elapsed, IReadOnlyList<ProxyView> SomeUnsatisfied)
{
    public bool All => Satisfied == Total;

    public override string ToString() =>
        $"{Satisfied}/{Total} proxies in {Elapsed.TotalSeconds:0.##} s"
        + (SomeUnsatisfied.Count == 0 ? "" : "; not satisfied, e.g.: " + string.Join(" || ", SomeUnsatisfied));
}

/// <summary>How a swarm's start went: proxies that got a first response, proxies that gave up, and the time taken.</summary>
public sealed record SwarmStartResult(int Started, int Failed, TimeSpan Elapsed, IReadOnlyList<string> SomeErrors);
