using Mesh.LoadTest.Limit;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// The limit server (the transport ceiling of the <c>limit</c> scenario) against simulated sidecars,
/// half delta, half SotW, over the load mesh of <see cref="MeshGenerator"/> (5 services, 3 endpoints).
/// </summary>
[Trait("Category", "Functional")]
public sealed class LimitServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private string _dir = null!;
    private MeshGenerator _mesh = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("mesh-limit-").FullName;
        _mesh = new MeshGenerator(_dir, MeshShape.For(new LoadOptions { Services = 5 }), endpoints: 3);
        await _mesh.WriteAllAsync();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TwoHundredProxies_HoldEverything_ThenOneEdsChange_IsOneResponsePerStream()
    {
        const int proxies = 200;
        var resources = LimitResources.FromManifests(_dir, MeshGenerator.Ns);
        await using var server = await LimitServer.StartAsync(resources, CancellationToken.None);
        await using var swarm = Swarm(proxies, server.Address);

        var start = await swarm.StartAsync();
        var ready = await swarm.WaitAllAsync(v => HoldsExactly(v, resources), Converge);

        Assert.True(start.Failed == 0, $"awaited {proxies} first responses; {start.Failed} gave up: {string.Join("; ", start.SomeErrors)}");
        Assert.True(ready.All, $"awaited every proxy holding all {resources.Count} resources at their versions; saw {ready}");
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), Converge), "awaited 1 s without responses before the change");
        Assert.Equal(proxies, server.OpenStreams);
        // One response per type per stream: the first request of each type, nothing for ACKs.
        foreach (var type in TypeUrls.PushOrder)
        {
            Assert.True(server.ResponsesWrittenOf(type) == proxies, $"awaited {proxies} {TypeUrls.ShortName(type)} responses written; saw {server.ResponsesWrittenOf(type)}");
        }
        Assert.Equal(4 * proxies, server.ResponsesWritten);
        var counters = swarm.Counters();
        Assert.True(counters.TotalNacksSent == 0 && counters.Reconnects == 0 && counters.SafetyViolations == 0, $"awaited no NACKs, reconnects or violations; saw {counters}");

        var cluster = MeshGenerator.Cluster(0);
        var old = resources.Single(r => r.TypeUrl == TypeUrls.Endpoint && r.Name == cluster);
        await _mesh.ChangeEndpointAsync(0);
        var changed = LimitResources.FromManifests(_dir, MeshGenerator.Ns).Single(r => r.TypeUrl == TypeUrls.Endpoint && r.Name == cluster);
        Assert.NotEqual(old.Version, changed.Version);
        Assert.Equal(_mesh.ExpectedEds()[cluster], changed.Version);
        var before = swarm.Views();
        var written = server.ResponsesWritten;
        var edsWritten = server.ResponsesWrittenOf(TypeUrls.Endpoint);
        var bytes = server.BytesWritten;

        var queued = await server.ReplaceAsync(changed);
        var moved = await swarm.WaitAllAsync(v => v.Holds(TypeUrls.Endpoint, cluster, changed.Version), Converge);

        Assert.Equal(proxies, queued);
        Assert.True(moved.All, $"awaited every proxy holding EDS {cluster} at {changed.Version} (was {old.Version}); saw {moved}");
        // Give a stray push time to arrive before asserting there was none.
        Assert.True(await swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), Converge), "awaited 1 s without responses after the change");
        Assert.True(server.ResponsesWrittenOf(TypeUrls.Endpoint) - edsWritten == proxies && server.ResponsesWritten - written == proxies,
            $"awaited exactly {proxies} EDS responses and nothing else written for the change; saw {server.ResponsesWrittenOf(TypeUrls.Endpoint) - edsWritten} EDS of {server.ResponsesWritten - written}");
        Assert.True(server.BytesWritten > bytes, "awaited the change's bytes counted");
        var wrong = new List<string>();
        for (var i = 0; i < proxies; i++)
        {
            var was = before[i];
            var now = swarm.Proxies[i].View();
            foreach (var type in TypeUrls.PushOrder)
            {
                var expected = type == TypeUrls.Endpoint ? 1 : 0;
                var responses = now.Counters.Responses(type) - was.Counters.Responses(type);
                var received = now.Counters.Resources(type) - was.Counters.Resources(type);
                var updated = now.Counters.Changed(type) - was.Counters.Changed(type);
                // Delta and SotW alike carry only the changed load assignment (X-26 for SotW EDS).
                if (responses != expected || received != expected || updated != expected)
                {
                    wrong.Add($"{now.Id} {now.Mode} {TypeUrls.ShortName(type)}: {responses} responses, {received} resources, {updated} changed");
                }
            }
        }
        Assert.True(wrong.Count == 0, $"awaited exactly one EDS response of one changed resource per proxy ({wrong.Count} deviations): {string.Join("; ", wrong.Take(10))}");
    }

    [Fact]
    public async Task EndedStreams_AreRemoved_AndGetNoPushes()
    {
        var resources = LimitResources.FromManifests(_dir, MeshGenerator.Ns);
        await using var server = await LimitServer.StartAsync(resources, CancellationToken.None);
        await using (var swarm = Swarm(10, server.Address))
        {
            await swarm.StartAsync();
            var ready = await swarm.WaitAllAsync(v => HoldsExactly(v, resources), Converge);
            Assert.True(ready.All, $"awaited every proxy holding all {resources.Count} resources; saw {ready}");
            Assert.Equal(10, server.OpenStreams);
        }

        var deadline = DateTime.UtcNow + Converge;
        while (server.OpenStreams > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(server.OpenStreams == 0, $"awaited no open streams after the proxies stopped; saw {server.OpenStreams}");
        var written = server.ResponsesWritten;
        await _mesh.ChangeEndpointAsync(1);
        var changed = LimitResources.FromManifests(_dir, MeshGenerator.Ns).Single(r => r.TypeUrl == TypeUrls.Endpoint && r.Name == MeshGenerator.Cluster(1));
        Assert.Equal(0, await server.ReplaceAsync(changed));
        Assert.Equal(written, server.ResponsesWritten);
    }

    [Fact]
    public async Task Dispose_EndsOpenStreams()
    {
        var resources = LimitResources.FromManifests(_dir, MeshGenerator.Ns);
        var server = await LimitServer.StartAsync(resources, CancellationToken.None);
        await using var swarm = Swarm(10, server.Address);
        await swarm.StartAsync();
        var ready = await swarm.WaitAllAsync(v => HoldsExactly(v, resources), Converge);
        Assert.True(ready.All, $"awaited every proxy holding all {resources.Count} resources; saw {ready}");

        await server.DisposeAsync();

        Assert.Equal(0, server.OpenStreams);
        var ended = await swarm.WaitAllAsync(v => v.Counters.StreamFailures >= 1, Converge);
        Assert.True(ended.All, $"awaited every proxy's stream ended; saw {ended}");
    }

    /// <summary>Every resource at its version, and nothing else, per type.</summary>
    private static bool HoldsExactly(ProxyView view, IReadOnlyList<XdsResource> resources) =>
        resources.All(r => view.Holds(r.TypeUrl, r.Name, r.Version))
        && TypeUrls.PushOrder.All(t => view.Count(t) == resources.Count(r => r.TypeUrl == t));

    private static ProxySwarm Swarm(int count, Uri address) => new(
        count,
        i => new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode($"client-{i}-lt-x{i}", MeshGenerator.Ns, $"10.2.{i / 250}.{(i % 250) + 1}", new Dictionary<string, string> { ["app"] = "client" }),
            Mode = i < count / 2 ? ProxyMode.Delta : ProxyMode.Sotw,
            Gateways = [address],
            Seed = i,
        },
        new SwarmOptions { ConnectsPerSecond = 200, MaxConcurrentConnects = 32 });
}
