using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Net.Client;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// N <see cref="SimulatedProxy"/> instances started on a ramp (<see cref="SwarmOptions.ConnectsPerSecond"/>)
/// with bounded concurrency, spread over the gateways, with aggregate counters and waits.
/// </summary>
public sealed class ProxySwarm : IAsyncDisposable
{
    private const int UnsatisfiedShown = 3;
    private readonly SwarmOptions _options;
    private readonly ConcurrentDictionary<Uri, GrpcChannel> _channels = new();

    /// <param name="count">Number of proxies.</param>
    /// <param name="proxy">Options of proxy i (0-based); the swarm rotates its gateways and shares channels and strings as <paramref name="options"/> says.</param>
    /// <param name="options">Ramp, concurrency and sharing.</param>
    public ProxySwarm(int count, Func<int, SimulatedProxyOptions> proxy, SwarmOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(proxy);
        _options = options ?? new SwarmOptions();
        Strings = _options.ShareStrings ? new StringPool() : null;
        var proxies = new SimulatedProxy[count];
        for (var i = 0; i < count; i++)
        {
            var o = proxy(i);
            var gateways = _options.SpreadOverGateways ? StartingAt(o.Gateways, i % o.Gateways.Count) : o.Gateways;
            proxies[i] = new SimulatedProxy(o with
            {
                Gateways = gateways,
                Strings = o.Strings ?? Strings,
                Channels = o.Channels ?? (_options.ShareChannels ? Channel : null),
            });
        }
        Proxies = proxies;
    }

    /// <summary><paramref name="gateways"/> rotated to start at index <paramref name="first"/>: a proxy's failover order when it starts there.</summary>
    public static IReadOnlyList<Uri> StartingAt(IReadOnlyList<Uri> gateways, int first) => [.. gateways.Skip(first), .. gateways.Take(first)];

    public IReadOnlyList<SimulatedProxy> Proxies { get; }

    public StringPool? Strings { get; }

    /// <summary>Starts every proxy on the ramp; completes when each has its first response or gave up.</summary>
    public async Task<SwarmStartResult> StartAsync(CancellationToken cancellationToken = default)
    {
        using var slots = new SemaphoreSlim(_options.MaxConcurrentConnects);
        var clock = Stopwatch.StartNew();
        var starts = new List<Task<string?>>(Proxies.Count);
        try
        {
            for (var i = 0; i < Proxies.Count; i++)
            {
                var due = TimeSpan.FromSeconds(i / _options.ConnectsPerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                starts.Add(StartOneAsync(Proxies[i], slots, cancellationToken));
            }
        }
        finally
        {
            // Started proxies release their slot whatever happens; wait for them before the semaphore goes.
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
        var failed = starts.Select(t => t.Result).Where(e => e is not null).Select(e => e!).ToList();
        return new SwarmStartResult(Proxies.Count - failed.Count, failed.Count, clock.Elapsed, [.. failed.Take(UnsatisfiedShown)]);
    }

    /// <summary>
    /// Waits until no proxy has received a response for <paramref name="quiet"/>; false if responses
    /// were still arriving after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitQuietAsync(TimeSpan quiet, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = Counters().TotalResponses;
        var since = clock.Elapsed;
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, quiet.TotalMilliseconds))).ConfigureAwait(false);
            var now = Counters().TotalResponses;
            if (now != last)
            {
                last = now;
                since = clock.Elapsed;
            }
            else if (clock.Elapsed - since >= quiet)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Waits until every proxy satisfies <paramref name="condition"/> or <paramref name="timeout"/> passes; never throws for unsatisfied proxies.</summary>
    public async Task<SwarmWaitResult> WaitAllAsync(Func<ProxyView, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long lastTicks = 0;
        var results = await Task.WhenAll(Proxies.Select(async p =>
        {
            try
            {
                await p.WaitUntilAsync(condition, timeout).ConfigureAwait(false);
                var now = clock.Elapsed.Ticks;
                long seen;
                while ((seen = Interlocked.Read(ref lastTicks)) < now && Interlocked.CompareExchange(ref lastTicks, now, seen) != seen)
                {
                }
                return true;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                return false;
            }
        })).ConfigureAwait(false);
        var satisfied = results.Count(r => r);
        var unsatisfied = Proxies.Where((_, i) => !results[i]).Take(UnsatisfiedShown).Select(p => p.View()).ToList();
        var elapsed = satisfied == Proxies.Count ? TimeSpan.FromTicks(Interlocked.Read(ref lastTicks)) : clock.Elapsed;
        return new SwarmWaitResult(satisfied, Proxies.Count, elapsed, unsatisfied);
    }

    /// <summary>How many proxies hold <paramref name="name"/> of <paramref name="typeUrl"/> (at <paramref name="version"/>, if given).</summary>
    public int Holding(string typeUrl, string name, string? version = null) => Proxies.Count(p => p.Holds(typeUrl, name, version));

    /// <summary>The counters of every proxy, summed.</summary>
    public ProxyCounters Counters() => ProxyCounters.Sum(Proxies.Select(p => p.Counters()));

    public IReadOnlyList<ProxyView> Views() => [.. Proxies.Select(p => p.View())];

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Proxies.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private static async Task<string?> StartOneAsync(SimulatedProxy proxy, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await proxy.StartAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            return $"{proxy.Id}: {ex.Message}";
        }
        finally
        {
            slots.Release();
        }
    }

    private GrpcChannel Channel(Uri address) => _channels.GetOrAdd(address, a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        DisposeHttpClient = true,
    }));
}
