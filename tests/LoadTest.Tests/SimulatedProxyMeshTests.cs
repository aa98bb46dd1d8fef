using Mesh.LoadTest.Proxies;
using Mesh.LoadTest.Tests.Support;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// Simulated proxies (delta and SotW Envoy sidecars) against the whole control plane hosted in
/// process over namespace <c>lt</c> (Services a, b, c on port 80, one Pod each).
/// </summary>
[Trait("Category", "Functional")]
public sealed class SimulatedProxyMeshTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);
    private static readonly string[] Clusters = [LtMesh.Cluster("a"), LtMesh.Cluster("b"), LtMesh.Cluster("c")];
    private LtMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await LtMesh.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task HundredSidecars_HalfDeltaHalfSotw_AllHoldTheThreeServices()
    {
        await using var swarm = Swarm(100);

        var start = await swarm.StartAsync();
        var result = await swarm.WaitAllAsync(HoldsFullConfig, Converge);

        Assert.True(start.Failed == 0, $"awaited 100 first responses; {start.Failed} proxies gave up: {string.Join("; ", start.SomeErrors)}");
        Assert.True(result.All, $"awaited every proxy holding 3 outbound clusters, their EDS, listener 0.0.0.0_80 and route 80; saw {result}");
        foreach (var cluster in Clusters)
        {
            Assert.Equal(100, swarm.Holding(TypeUrls.Cluster, cluster));
            Assert.Equal(100, swarm.Holding(TypeUrls.Endpoint, cluster));
        }
        var counters = swarm.Counters();
        Assert.True(counters.SafetyViolations == 0 && counters.TotalNacksSent == 0 && counters.Reconnects == 0, $"awaited no violations, NACKs or reconnects; saw {counters}");
    }

    [Fact]
    public async Task PodIpChangeOfA_EveryProxyGetsOnlyTheNewEdsOfA()
    {
        await using var swarm = Swarm(100);
        await swarm.StartAsync();
        var ready = await swarm.WaitAllAsync(HoldsFullConfig, Converge);
        Assert.True(ready.All, $"awaited every proxy holding the full config; saw {ready}");
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), Converge), "awaited 1 s without responses before the change");
        var before = swarm.Proxies.Select(p => p.View()).ToList();
        var edsA = before[0].Version(TypeUrls.Endpoint, Clusters[0])!;
        // Delta versions and SotW content hashes of the same bytes agree.
        Assert.Equal(100, swarm.Holding(TypeUrls.Endpoint, Clusters[0], edsA));

        await _mesh.SetPodIpOfAAsync("10.1.0.99");

        var moved = await swarm.WaitAllAsync(v => v.Version(TypeUrls.Endpoint, Clusters[0]) is { } x && x != edsA, Converge);
        Assert.True(moved.All, $"awaited every proxy holding a new EDS version of {Clusters[0]} (old {edsA}); saw {moved}");
        var edsA2 = swarm.Proxies[0].View().Version(TypeUrls.Endpoint, Clusters[0])!;
        Assert.Equal(100, swarm.Holding(TypeUrls.Endpoint, Clusters[0], edsA2));
        // Give any stray push time to arrive before asserting there was none.
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1.5), Converge), "awaited 1.5 s without responses after the change");

        var wrong = new List<string>();
        for (var i = 0; i < swarm.Proxies.Count; i++)
        {
            var was = before[i];
            var now = swarm.Proxies[i].View();
            foreach (var type in TypeUrls.PushOrder)
            {
                var responses = now.Counters.Responses(type) - was.Counters.Responses(type);
                var changed = now.Counters.Changed(type) - was.Counters.Changed(type);
                var resources = now.Counters.Resources(type) - was.Counters.Resources(type);
                var expected = type == TypeUrls.Endpoint ? 1 : 0;
                // Incremental EDS for both variants: delta carries only a, and so does the SotW EDS
                // response (X-26 lets EDS/RDS responses carry only what changed).
                var expectedResources = type == TypeUrls.Endpoint ? 1 : 0;
                if (responses != expected || changed != expected || resources != expectedResources)
                {
                    wrong.Add($"{now.Id} {now.Mode} {TypeUrls.ShortName(type)}: {responses} responses, {resources} resources, {changed} changed");
                }
            }
            foreach (var other in Clusters.Skip(1))
            {
                if (now.Held(TypeUrls.Endpoint)[other] != was.Held(TypeUrls.Endpoint)[other])
                {
                    wrong.Add($"{now.Id} {now.Mode}: EDS {other} changed");
                }
            }
        }
        Assert.True(wrong.Count == 0, $"awaited exactly one EDS response per proxy changing only {Clusters[0]} ({(wrong.Count)} deviations): {string.Join("; ", wrong.Take(10))}");
    }

    [Theory]
    [InlineData(ProxyMode.Delta)]
    [InlineData(ProxyMode.Sotw)]
    public async Task ProxyNackingCds_RecordsTheNack_AndIsNotResentTheSameVersion(ProxyMode mode)
    {
        var nacked = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var proxy = new SimulatedProxy(Options(0, mode) with
        {
            NackWhen = r =>
            {
                if (r.TypeUrl != TypeUrls.Cluster)
                {
                    return false;
                }
                nacked.Enqueue(r.Version);
                return true;
            },
        });
        await proxy.StartAsync();
        await proxy.WaitUntilAsync(v => v.Counters.NacksSent(TypeUrls.Cluster) >= 1 && v.Holds(TypeUrls.Route, "80"), Converge);

        // X-10: after the NACK the server waits for a new version; LDS and RDS keep flowing meanwhile.
        var settled = await CdsSettledAsync(proxy, TimeSpan.FromSeconds(2.5));
        Assert.True(settled.Counters.NacksSent(TypeUrls.Cluster) == settled.Counters.Responses(TypeUrls.Cluster) && settled.Count(TypeUrls.Cluster) == 0,
            $"awaited every CDS response NACKed and none held; saw {settled}");
        Assert.True(nacked.Distinct().Count() == nacked.Count, $"awaited no CDS version sent twice after its NACK; NACKed versions: {string.Join(", ", nacked)}");
        Assert.Equal(0, settled.Counters.NacksSent(TypeUrls.Listener));

        // A new version is sent, once.
        await _mesh.AddServiceAsync("d", "10.96.0.4");
        var responses = settled.Counters.Responses(TypeUrls.Cluster);
        await proxy.WaitUntilAsync(v => v.Counters.Responses(TypeUrls.Cluster) > responses, Converge);
        var after = await CdsSettledAsync(proxy, TimeSpan.FromSeconds(1.5));
        Assert.True(after.Counters.Responses(TypeUrls.Cluster) == responses + 1 && after.Counters.NacksSent(TypeUrls.Cluster) == responses + 1,
            $"awaited exactly one more CDS response (NACKed) for the new Service after {responses}; saw {after}");
        Assert.True(nacked.Distinct().Count() == nacked.Count, $"awaited no CDS version sent twice after its NACK; NACKed versions: {string.Join(", ", nacked)}");
    }

    [Fact]
    public async Task FirstGatewayClosed_ProxiesFailOverToTheSecond_AndHoldConfig()
    {
        var closed = new Uri($"http://127.0.0.1:{LtMesh.FreePort()}");
        await using var swarm = new ProxySwarm(
            10,
            i => Options(i, i % 2 == 0 ? ProxyMode.Delta : ProxyMode.Sotw) with { Gateways = [closed, _mesh.XdsAddress], MaxConnectAttempts = 10 },
            new SwarmOptions { SpreadOverGateways = false });

        var start = await swarm.StartAsync();
        var result = await swarm.WaitAllAsync(v => HoldsFullConfig(v) && v.Counters.Reconnects >= 1 && v.ConnectedTo == _mesh.XdsAddress, Converge);

        Assert.True(start.Failed == 0, $"awaited every proxy to fail over; {start.Failed} gave up: {string.Join("; ", start.SomeErrors)}");
        Assert.True(result.All, $"awaited every proxy on {_mesh.XdsAddress} holding the full config after ≥1 reconnect; saw {result}");
        foreach (var view in swarm.Views())
        {
            Assert.True(view.Counters.StreamFailures >= 1 && view.LastFailure!.StartsWith(closed.ToString(), StringComparison.Ordinal),
                $"awaited a recorded failure on {closed}; saw {view}");
            Assert.Equal(0, view.Counters.SafetyViolations);
        }
    }

    /// <summary>Waits until the proxy has had no CDS response for <paramref name="quiet"/>.</summary>
    private static async Task<ProxyView> CdsSettledAsync(SimulatedProxy proxy, TimeSpan quiet)
    {
        var deadline = DateTime.UtcNow + Converge;
        var view = proxy.View();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow - since < quiet)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"awaited {quiet.TotalSeconds} s without a CDS response; still receiving after {Converge.TotalSeconds} s: {view}");
            }
            await Task.Delay(100);
            var now = proxy.View();
            if (now.Counters.Responses(TypeUrls.Cluster) != view.Counters.Responses(TypeUrls.Cluster))
            {
                since = DateTime.UtcNow;
            }
            view = now;
        }
        return view;
    }

    private static bool HoldsFullConfig(ProxyView v) =>
        v.HoldsAll(TypeUrls.Cluster, Clusters) && v.HoldsAll(TypeUrls.Endpoint, Clusters)
        && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Holds(TypeUrls.Route, "80");

    private ProxySwarm Swarm(int count) =>
        new(count, i => Options(i, i < count / 2 ? ProxyMode.Delta : ProxyMode.Sotw), new SwarmOptions { ConnectsPerSecond = 100, MaxConcurrentConnects = 32 });

    private SimulatedProxyOptions Options(int i, ProxyMode mode) => new()
    {
        Node = SimulatedProxyOptions.SidecarNode($"client-{i}-6d4f", LtMesh.Ns, $"10.2.{i / 250}.{(i % 250) + 1}", new Dictionary<string, string> { ["app"] = "client" }),
        Mode = mode,
        Gateways = [_mesh.XdsAddress],
        Seed = i,
    };
}
