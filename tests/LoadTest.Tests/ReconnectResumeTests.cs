using Mesh.LoadTest.Proxies;
using Mesh.LoadTest.Tests.Support;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// Streams cut under connected proxies (a TCP relay in front of the mesh), with a change made while
/// they are away: delta resumes with initial_resource_versions and gets only what changed (X-38);
/// SotW gets its complete state again, unchanged except the change.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ReconnectResumeTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);
    private static readonly string[] Clusters = [LtMesh.Cluster("a"), LtMesh.Cluster("b"), LtMesh.Cluster("c")];
    private LtMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await LtMesh.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    // Regression (P-07, X-38): the first delta proxy to resume on a gateway whose service entries were
    // still loading used to be sent removed_resources for every EDS name it held.
    [Fact]
    public async Task StreamsCut_WhileAChanges_DeltaGetsOnlyA_SotwGetsItsFullStateAgain()
    {
        await using var relay = new TcpRelay(_mesh.Options.XdsPort);
        var updates = new System.Collections.Concurrent.ConcurrentQueue<ResourceUpdate>();
        var recording = false;
        await using var swarm = new ProxySwarm(10, i => new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode($"client-{i}-6d4f", LtMesh.Ns, $"10.3.0.{i + 1}", new Dictionary<string, string> { ["app"] = "client" }),
            Mode = i % 2 == 0 ? ProxyMode.Delta : ProxyMode.Sotw,
            Gateways = [relay.Address],
            // The gateway routes ADS by the authority's port (RequireHost "*:XDS_PORT"): say the mesh's.
            Authority = $"127.0.0.1:{_mesh.Options.XdsPort}",
            Seed = i,
            OnUpdate = u =>
            {
                if (Volatile.Read(ref recording))
                {
                    updates.Enqueue(u);
                }
            },
        });
        await swarm.StartAsync();
        var ready = await swarm.WaitAllAsync(HoldsFullConfig, Converge);
        Assert.True(ready.All, $"awaited every proxy holding the full config; saw {ready}");
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), Converge), "awaited 1 s without responses before the cut");
        var before = swarm.Views();
        var edsA = before[0].Version(TypeUrls.Endpoint, Clusters[0]);

        Volatile.Write(ref recording, true);
        relay.CutAndRefuse();
        var applies = _mesh.Applies;
        await _mesh.SetPodIpOfAAsync("10.1.0.77");
        // The change must be applied while the proxies are away: wait for the ingest's apply (bounded), not a fixed time.
        var deadline = DateTime.UtcNow + Converge;
        while (_mesh.Applies == applies)
        {
            Assert.True(DateTime.UtcNow < deadline, $"awaited the ingest applying the pod IP change within {Converge}");
            await Task.Delay(50);
        }
        await Task.Delay(TimeSpan.FromMilliseconds(300)); // and the grains to notify the gateway
        relay.Accept();

        var back = await swarm.WaitAllAsync(
            v => v.Counters.Reconnects >= 1 && v.ConnectedTo is not null && HoldsFullConfig(v) && v.Version(TypeUrls.Endpoint, Clusters[0]) != edsA,
            Converge);
        Assert.True(back.All, $"awaited every proxy reconnected and holding the new EDS of {Clusters[0]}; saw {back}");
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1.5), Converge), "awaited 1.5 s without responses after the resume");

        var wrong = new List<string>();
        foreach (var (was, now) in before.Zip(swarm.Views()))
        {
            foreach (var type in TypeUrls.PushOrder)
            {
                var changed = now.Counters.Changed(type) - was.Counters.Changed(type);
                var resent = now.Counters.Resent(type) - was.Counters.Resent(type);
                var removals = now.Counters.Removals(type) - was.Counters.Removals(type);
                var expectedChanged = type == TypeUrls.Endpoint ? 1 : 0;
                // Delta skips what initial_resource_versions says is current; SotW resends its whole state.
                var expectedResent = now.Mode == ProxyMode.Delta ? 0 : was.Count(type) - expectedChanged;
                if (changed != expectedChanged || resent != expectedResent || removals != 0)
                {
                    var timeline = updates.Where(u => u.ProxyId == now.Id)
                        .Select(u => $"{u.ReceivedAt:HH:mm:ss.fff} {TypeUrls.ShortName(u.TypeUrl)} {(u.Removed ? "-" : "+")}{u.Name}");
                    wrong.Add($"{now.Id} {now.Mode} {TypeUrls.ShortName(type)}: {changed} changed (expected {expectedChanged}), {resent} resent (expected {expectedResent}), {removals} removed; updates after the cut: {string.Join(", ", timeline)}");
                }
            }
            if (now.Counters.SafetyViolations != 0)
            {
                wrong.Add($"{now.Id}: violations {string.Join(" | ", now.Violations)}");
            }
        }
        var order = updates.GroupBy(u => u.ProxyId).Select(g => (Id: g.Key, First: g.Min(u => u.ReceivedAt))).OrderBy(p => p.First)
            .Select(p => $"{p.Id.Split('~')[2].Split('.')[0]} {p.First:HH:mm:ss.fff}");
        Assert.True(wrong.Count == 0, $"awaited only EDS a changed on resume ({wrong.Count} deviations): {string.Join("; ", wrong.Take(10))}; first update after the cut, by proxy: {string.Join(", ", order)}");
    }

    private static bool HoldsFullConfig(ProxyView v) =>
        v.HoldsAll(TypeUrls.Cluster, Clusters) && v.HoldsAll(TypeUrls.Endpoint, Clusters)
        && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Holds(TypeUrls.Route, "80");
}
