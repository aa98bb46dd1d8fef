using System.Diagnostics;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Distributed mode under faults, with real processes: a real redis-server, silos, xDS gateways and
/// an ingest, each its own process, and a few hundred simulated proxies. Recovery times are printed
/// (see the README's distributed-mode section); assertions are about behaviour, not time.
/// </summary>
[Trait("Category", "Fault")]
public sealed class FaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Services = 10;
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-fault-").FullName;
    private FaultMesh _mesh = null!;

    public async Task InitializeAsync()
    {
        _mesh = new FaultMesh(_dir, Services);
        await _mesh.WriteAsync();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static ProxySwarm Swarm(MeshCluster cluster, int delta, int sotw) =>
        new(delta + sotw, i => FaultMesh.Client(i, cluster.GatewayAddresses, i < delta ? ProxyMode.Delta : ProxyMode.Sotw));

    private async Task<SwarmWaitResult> AllInSyncAsync(ProxySwarm swarm, MeshCluster cluster, string phase)
    {
        var expected = _mesh.Expected();
        var result = await swarm.WaitAllAsync(v => FaultMesh.InSync(v, expected), Converge);
        Assert.True(result.All, $"{phase}: {result}\n{cluster.Tails()}");
        return result;
    }

    private static void AssertSafe(ProxySwarm swarm)
    {
        var unsafeProxies = swarm.Views().Where(v => v.Counters.SafetyViolations > 0).ToList();
        Assert.True(unsafeProxies.Count == 0,
            $"{unsafeProxies.Count} proxies were left with an empty LDS/CDS at some moment: {string.Join("; ", unsafeProxies.Take(3).Select(v => $"{v.Id}: {string.Join(", ", v.Violations)}"))}");
    }

    [Fact]
    public async Task GatewaySigkill_ProxiesResumeOnTheOther_DeltaResendsOnlyWhatChanged()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 2, gateways: 2);
        await using var swarm = Swarm(cluster, delta: 150, sotw: 50);
        await swarm.StartAsync();
        await AllInSyncAsync(swarm, cluster, "initial sync");
        var victim = cluster.GatewayAddresses[0];
        var onVictim = swarm.Views().Where(v => v.ConnectedTo == victim).Select(v => v.Id).ToHashSet();
        Assert.NotEmpty(onVictim);

        await cluster.Gateways[0].Process.KillAsync();
        var killed = Stopwatch.StartNew();
        await _mesh.ChangeEndpointAsync(3);

        var recovered = await AllInSyncAsync(swarm, cluster, "after SIGKILL of gateway0 and an endpoint change");
        output.WriteLine($"gateway SIGKILL: {onVictim.Count} proxies moved; all 200 in sync with the change {killed.Elapsed.TotalSeconds:F1} s after the kill");
        var views = swarm.Views();
        Assert.All(views, v => Assert.Equal(cluster.GatewayAddresses[1], v.ConnectedTo));
        AssertSafe(swarm);
        // Delta resume (X-38): the moved proxies get only what changed, nothing they already held.
        var movedDelta = views.Where(v => onVictim.Contains(v.Id) && v.Mode == ProxyMode.Delta).ToList();
        Assert.NotEmpty(movedDelta);
        foreach (var type in TypeUrls.PushOrder)
        {
            var resent = movedDelta.Sum(v => v.Counters.Resent(type));
            output.WriteLine($"  delta proxies moved: {movedDelta.Count}, {TypeUrls.ShortName(type)} resources resent unchanged: {resent}");
            Assert.Equal(0, resent);
        }
        Assert.True(movedDelta.All(v => v.Counters.Reconnects >= 1), "every moved proxy reconnected");
        _ = recovered;
    }

    [Fact]
    public async Task SiloSigkill_DuringABurstOfEndpointAndConfigChanges_EveryChangeReachesEveryProxy()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 3, gateways: 2);
        await using var swarm = Swarm(cluster, delta: 100, sotw: 100);
        await swarm.StartAsync();
        await AllInSyncAsync(swarm, cluster, "initial sync");
        var activations = await cluster.ActivationsAsync();
        var victim = activations.OrderByDescending(a => a.Activations).First();
        output.WriteLine($"grain activations per silo: {string.Join(", ", activations.Select(a => $"{a.Silo.Name}={a.Activations}"))}; killing {victim.Silo.Name}");

        var killed = Stopwatch.StartNew();
        for (var round = 0; round < 12; round++)
        {
            // Alternate endpoint changes (EDS) and VirtualService changes (RDS).
            if (round % 2 == 0)
            {
                await _mesh.ChangeEndpointAsync(round % Services);
            }
            else
            {
                await _mesh.ChangeConfigAsync(round % Services);
            }
            if (round == 4)
            {
                await victim.Silo.KillAsync();
                killed.Restart();
            }
            await Task.Delay(150);
        }

        await AllInSyncAsync(swarm, cluster, $"after SIGKILL of {victim.Silo.Name} during 12 endpoint and config changes");
        output.WriteLine($"silo SIGKILL: every change reached all 200 proxies {killed.Elapsed.TotalSeconds:F1} s after the kill");
        AssertSafe(swarm);
    }

    [Fact]
    public async Task RedisDown30s_ProxiesKeepTheirConfig_AndTheClusterConvergesAfter()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 2, gateways: 2);
        await using var swarm = Swarm(cluster, delta: 100, sotw: 100);
        await swarm.StartAsync();
        await AllInSyncAsync(swarm, cluster, "initial sync");
        var before = _mesh.Expected();

        await cluster.Redis.TerminateAsync(TimeSpan.FromSeconds(10));
        var down = Stopwatch.StartNew();
        await _mesh.ChangeEndpointAsync(5);
        // While Redis is down: the write cannot be persisted; proxies keep serving what they have.
        var failure = await Eventually.UntilAsync("ingest to report the failed write in /debug/ingestz", TimeSpan.FromSeconds(25),
            () => cluster.Ingest.GetAsync("/debug/ingestz"), body => body.Contains("\"lastFailure\": \"", StringComparison.Ordinal));
        output.WriteLine("during the outage /debug/ingestz says: " + failure.Split('\n').First(l => l.Contains("lastFailure", StringComparison.Ordinal)).Trim());
        while (down.Elapsed < TimeSpan.FromSeconds(30))
        {
            var views = swarm.Views();
            Assert.All(views, v => Assert.True(FaultMesh.InSync(v, before), $"during the Redis outage {v.Id} lost config it had: {v}"));
            await Task.Delay(1000);
        }
        Assert.Contains("mesh_ingest_apply_failures_total", await cluster.Ingest.GetAsync("/metrics"), StringComparison.Ordinal);

        cluster.Redis.Restart();
        var restarted = Stopwatch.StartNew();
        await AllInSyncAsync(swarm, cluster, "after Redis came back");
        output.WriteLine($"Redis down {down.Elapsed.TotalSeconds:F0} s: proxies kept config throughout; the change made during the outage reached all 200 proxies {restarted.Elapsed.TotalSeconds:F1} s after Redis restarted");
        AssertSafe(swarm);
    }

    [Fact]
    public async Task RollingRestartOfGateways_WithDrain_NoProxyIsEverWithoutConfig()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 2, gateways: 2);
        await using var swarm = Swarm(cluster, delta: 100, sotw: 100);
        await swarm.StartAsync();
        await AllInSyncAsync(swarm, cluster, "initial sync");

        for (var g = 0; g < 2; g++)
        {
            var (process, port) = cluster.Gateways[g];
            var drained = await process.TerminateAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"gateway{g}: SIGTERM → exited after {drained.TotalSeconds:F1} s (drain)");
            Assert.True(drained < TimeSpan.FromSeconds(25), $"gateway{g} took {drained} to drain and exit");
            await AllInSyncAsync(swarm, cluster, $"while gateway{g} is down");
            process.Restart();
            await process.WaitReadyAsync(MeshCluster.ReadyTimeout);
            await _mesh.ChangeEndpointAsync(g);
            await AllInSyncAsync(swarm, cluster, $"after gateway{g} restarted and an endpoint change");
        }
        AssertSafe(swarm);
        Assert.All(swarm.Views(), v => Assert.True(v.Counters.Reconnects >= 1, $"{v.Id} never reconnected"));
    }
}
