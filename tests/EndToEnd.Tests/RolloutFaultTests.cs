using System.Collections.Concurrent;
using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Rollouts;
using Mesh.Model.Translation;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// A rollout's state is grain state in Redis (issue 14): SIGKILL the silo holding the rollout grain
/// during the first stage's bake, and the rollout goes on from that stage on the other silo — its
/// bake timer re-armed when a gateway's renewal wakes it — to the next stage and the end; no proxy
/// outside the cohort gets the candidate before the stage that includes it.
/// </summary>
[Trait("Category", "Fault")]
public sealed class RolloutFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan FirstBake = TimeSpan.FromSeconds(25);
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-rolloutfault-").FullName;
    private readonly ConcurrentDictionary<string, int> _weights = new();
    private readonly ConcurrentDictionary<string, DateTime> _firstCandidate = new();

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh);
        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(80, 20));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task KillingTheSiloOfTheRolloutGrainMidBake_TheRolloutContinuesFromItsStage()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 2, gateways: 1);
        var cohort = new List<SimulatedProxy>();
        var others = new List<SimulatedProxy>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                cohort.Add(Sidecar(cluster, inCohort: true, i));
                others.Add(Sidecar(cluster, inCohort: false, i));
            }
            foreach (var p in cohort.Concat(others))
            {
                await p.StartAsync();
            }
            await HoldAsync(cohort.Concat(others), 80);

            await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
            await HoldAsync(cohort, 30);
            var started = DateTime.UtcNow;
            var holder = await HolderAsync(cluster);
            output.WriteLine($"rollout grain on {holder.Name}; SIGKILL it mid-bake");
            await holder.KillAsync();
            var survivor = cluster.Silos.First(s => !ReferenceEquals(s, holder));

            // Still stage 0, read from the survivor (the grain re-activates there from Redis).
            var status = await StatusAsync(survivor, s => s.GetProperty("phase").GetString() == "Baking", TimeSpan.FromSeconds(30));
            Assert.Equal("shop/careful#1", status.GetProperty("id").GetString());
            Assert.Equal(0, status.GetProperty("stage").GetInt32());
            Assert.True(DateTime.UtcNow - started < FirstBake, "the check must run inside the first bake");
            Assert.All(others, p => Assert.Equal(80, _weights.GetValueOrDefault(p.Id)));
            Assert.All(cohort, p => Assert.Equal(30, _weights.GetValueOrDefault(p.Id)));

            // The bake ends (its timer re-armed after the kill): everyone gets the change, the rollout succeeds.
            await HoldAsync(others, 30, FirstBake + TimeSpan.FromSeconds(60));
            var ended = await StatusAsync(survivor, s => s.GetProperty("phase").GetString() == "Succeeded", TimeSpan.FromSeconds(60));
            Assert.Equal(1, ended.GetProperty("stage").GetInt32());
            var stageOneBegan = started + FirstBake - TimeSpan.FromSeconds(3); // the bake started before `started`, by at most the time to reach the cohort
            Assert.All(others, p => Assert.True(_firstCandidate[p.Id] >= stageOneBegan,
                $"{p.Id} is outside the first cohort and got the candidate at {_firstCandidate[p.Id]:O}, before the first bake ended (~{started + FirstBake:O})"));
        }
        catch
        {
            output.WriteLine(cluster.Tails());
            throw;
        }
        finally
        {
            foreach (var p in cohort.Concat(others))
            {
                await p.DisposeAsync();
            }
        }
    }

    /// <summary>The silo whose metrics show a rollout grain activation.</summary>
    private static async Task<ClusterProcess> HolderAsync(MeshCluster cluster) =>
        await Eventually.UntilAsync("a silo to hold the rollout grain", TimeSpan.FromSeconds(10), async () =>
        {
            foreach (var s in cluster.Silos.Where(s => !s.HasExited))
            {
                if ((await s.GetAsync("/metrics")).Split('\n').Any(l => l.StartsWith("mesh_grain_activations{kind=\"rollout\"} 1", StringComparison.Ordinal)))
                {
                    return s;
                }
            }
            return null;
        }, s => s is not null) ?? throw new InvalidOperationException("unreachable");

    private static async Task<JsonElement> StatusAsync(ClusterProcess silo, Func<JsonElement, bool> until, TimeSpan timeout) =>
        await Eventually.UntilAsync("the rollout of shop/careful", timeout, async () =>
        {
            try
            {
                var all = JsonDocument.Parse(await silo.GetAsync("/api/v1/rollouts/shop/careful")).RootElement;
                return all.EnumerateArray().Select(e => e.Clone()).FirstOrDefault(until);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                return default; // the cluster has not noticed the dead silo yet: its grains answer once re-activated
            }
        }, found => found.ValueKind == JsonValueKind.Object);

    private async Task HoldAsync(IEnumerable<SimulatedProxy> proxies, int v1Weight, TimeSpan? timeout = null)
    {
        foreach (var p in proxies)
        {
            await Eventually.UntilAsync($"{p.Id} to route {v1Weight}% to v1", timeout ?? TimeSpan.FromSeconds(60),
                () => Task.FromResult(_weights.GetValueOrDefault(p.Id, -1)), w => w == v1Weight);
        }
    }

    private SimulatedProxy Sidecar(MeshCluster cluster, bool inCohort, int slot)
    {
        var node = Enumerable.Range(0, 100_000)
            .Select(i => SimulatedProxyOptions.SidecarNode($"web-{slot}-{i}", "shop", $"10.62.{slot}.{i % 250}", new Dictionary<string, string> { ["app"] = "web" }))
            .First(n => Cohort.BucketOf(n.Id) is var b && (inCohort ? b < 1_000 : b >= 5_000));
        return new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = node,
            Mode = slot % 2 == 0 ? ProxyMode.Delta : ProxyMode.Sotw,
            Gateways = cluster.GatewayAddresses,
            MaxConnectAttempts = 200,
            OnUpdate = u =>
            {
                if (u.TypeUrl == TypeUrls.Route && u.Name == "80" && !u.Removed)
                {
                    var w = ReviewsMesh.WeightOfV1(u.Body.ToArray());
                    _weights[u.ProxyId] = w;
                    if (w == 30)
                    {
                        _firstCandidate.TryAdd(u.ProxyId, DateTime.UtcNow);
                    }
                }
            },
        });
    }

    private static string Split(int v1, int v2) => ReviewsMesh.Split(v1, v2);

    private static readonly string Mesh = ReviewsMesh.Services + $$"""

        ---
        apiVersion: mesh.dev/v1alpha1
        kind: RolloutPolicy
        metadata: {name: careful, namespace: shop}
        spec:
          stages:
          - {percent: 10, bake: {{(int)FirstBake.TotalSeconds}}s}
          - {percent: 100, bake: 0s}
        """;
}
