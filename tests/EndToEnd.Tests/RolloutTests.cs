using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Rollouts;
using Mesh.Model.Translation;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Staged rollout (issue 14) through the whole stack (manifest ingest → service, rollout and scope
/// grains → gateway → ADS): a VirtualService change under a RolloutPolicy reaches only the cohort
/// (delta and SotW sidecars through their scope's route, proxyless clients through the service's
/// own route), the rest receive nothing; promotion brings everyone; a cohort NACK rolls back.
/// </summary>
/// <remarks>
/// The mesh: <c>shop</c> with reviews (subsets v1, v2; VirtualService 80/20) and web. RolloutPolicy
/// <c>careful</c>: 10% then 100%, a bake of an hour (tests promote through the admin API). Proxies are
/// picked by their node id's cohort bucket: in the 10% cohort or well outside it.
/// </remarks>
[Trait("Category", "Functional")]
public sealed class RolloutTests : IAsyncLifetime
{
    private static readonly string ProxylessRoute = $"{ReviewsMesh.Host}:80";
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-rollout-").FullName;
    private readonly List<SimulatedProxy> _proxies = [];
    private readonly ConcurrentDictionary<string, byte[]> _routes = new();
    private readonly ConcurrentDictionary<string, byte> _nackArmed = new();
    private InProcessMesh _mesh = null!;
    private readonly List<SimulatedProxy> _cohort = [];
    private readonly List<SimulatedProxy> _others = [];

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh);
        await File.WriteAllTextAsync(Path.Combine(_dir, "policy.yaml"), Policy);
        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(80, 20));
        _mesh = await InProcessMesh.StartAsync(_dir);
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _proxies)
        {
            await p.DisposeAsync();
        }
        await _mesh.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TheCandidate_ReachesOnlyTheCohort_AndPromotionBringsEveryone()
    {
        await ConnectAsync();
        await AllHoldAsync(_proxies, 80);
        await _mesh.SettledAsync();
        var counts = Counts();

        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
        await AllHoldAsync(_cohort, 30);
        await _mesh.SettledAsync();
        foreach (var p in _others)
        {
            Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is outside the cohort and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
            Assert.Equal(80, WeightOfV1(p));
        }
        var status = await StatusAsync(s => s.GetProperty("phase").GetString() == "Baking");
        Assert.Equal(0, status.GetProperty("stage").GetInt32());
        Assert.Contains("VirtualService", status.GetProperty("changes")[0].GetProperty("kind").GetString(), StringComparison.Ordinal);
        var metrics = await _mesh.GetAsync("/metrics");
        Assert.Contains($"mesh_rollout_cohort_proxies{{rollout=\"shop/careful#1\"}} {_cohort.Count}", metrics, StringComparison.Ordinal);
        using (var syncz = JsonDocument.Parse(await _mesh.GetAsync("/debug/syncz")))
        {
            var generation = syncz.RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("proxy").GetString()!, p => Generation(p.GetProperty("generation")));
            Assert.All(_cohort, p => Assert.Equal("shop/careful#1", generation[p.Id]));
            Assert.All(_others, p => Assert.Equal("baseline", generation[p.Id]));
        }

        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        var promoted = await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/promote", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        await AllHoldAsync(_proxies, 30);
        promoted = await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/promote", UriKind.Relative), null);
        Assert.Equal("Succeeded", JsonDocument.Parse(await promoted.Content.ReadAsStringAsync()).RootElement.GetProperty("phase").GetString());
        await StatusAsync(s => s.GetProperty("phase").GetString() == "Succeeded");
        // After the commit the baseline is the new content: nobody moves back.
        await _mesh.SettledAsync();
        Assert.All(_proxies, p => Assert.Equal(30, WeightOfV1(p)));
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/promote", UriKind.Relative), null)).StatusCode);
    }

    [Fact]
    public async Task ACohortNack_RollsTheCohortBack_AndNoOtherProxyEverSeesTheCandidate()
    {
        await ConnectAsync();
        await AllHoldAsync(_proxies, 80);
        await _mesh.SettledAsync();
        var counts = Counts();
        foreach (var p in _proxies)
        {
            _nackArmed[p.Id] = 1; // the next route response: only the cohort gets one
        }

        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
        var ended = await StatusAsync(s => s.GetProperty("phase").GetString() == "RolledBack");
        var reason = ended.GetProperty("reason").GetString()!;
        Assert.Contains("cohort proxies NACKed (at most 0 allowed): proxy ", reason, StringComparison.Ordinal);
        Assert.Contains("simulated NACK", reason, StringComparison.Ordinal);
        Assert.Contains(_cohort, p => reason.Contains(p.Id, StringComparison.Ordinal));

        // The cohort goes back to the baseline it held; the others never got a response.
        await AllHoldAsync(_cohort, 80);
        await _mesh.SettledAsync();
        foreach (var p in _others)
        {
            Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is outside the cohort and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
        }
        var metrics = await _mesh.GetAsync("/metrics");
        Assert.Contains("mesh_rollout_gate_failures_total{reason=\"nack\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("mesh_rollouts_total{outcome=\"rolled_back\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANewerEdit_SupersedesTheCandidate_PauseAndResumeHoldTheStage_AndOnlyTheCohortSeesEither()
    {
        await ConnectAsync();
        await AllHoldAsync(_proxies, 80);
        await _mesh.SettledAsync();
        var counts = Counts();
        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };

        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
        await AllHoldAsync(_cohort, 30);
        var paused = await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/pause", UriKind.Relative), null);
        Assert.Equal("Paused", JsonDocument.Parse(await paused.Content.ReadAsStringAsync()).RootElement.GetProperty("phase").GetString());

        // A newer edit of the same VirtualService supersedes the paused candidate: rollout #2 starts at the first stage.
        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(60, 40));
        await AllHoldAsync(_cohort, 60);
        var second = await StatusAsync(s => s.GetProperty("id").GetString() == "shop/careful#2" && s.GetProperty("phase").GetString() == "Baking");
        Assert.Equal(0, second.GetProperty("stage").GetInt32());
        var first = await StatusAsync(s => s.GetProperty("id").GetString() == "shop/careful#1");
        Assert.Equal("Superseded", first.GetProperty("phase").GetString());

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/pause", UriKind.Relative), null)).StatusCode);
        var resumed = await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/resume", UriKind.Relative), null);
        Assert.Equal("Baking", JsonDocument.Parse(await resumed.Content.ReadAsStringAsync()).RootElement.GetProperty("phase").GetString());
        await _mesh.SettledAsync();
        foreach (var p in _others)
        {
            Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is outside the cohort and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri("/api/v1/rollouts/shop/careful/rewind", UriKind.Relative), null)).StatusCode);
    }

    [Fact]
    public async Task AFailingHealthCheck_RollsTheCohortBack_WithItsReason()
    {
        // A health endpoint we control: it answers fail as soon as the candidate is out.
        using var server = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await server.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096], stop.Token);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 22\r\nConnection: close\r\n\r\nfail: error rate 12.5%"u8.ToArray(), stop.Token);
            }
        });
        try
        {
            await File.WriteAllTextAsync(Path.Combine(_dir, "policy.yaml"), Policy + $"\n  gates: {{health: {{url: \"http://127.0.0.1:{port}/check\", interval: 300ms, timeout: 200ms}}}}\n");
            await ConnectAsync();
            await AllHoldAsync(_proxies, 80);
            await _mesh.SettledAsync();
            var counts = Counts();

            await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
            var ended = await StatusAsync(s => s.GetProperty("phase").GetString() == "RolledBack");
            Assert.Contains("health check failed 1 time(s) in a row: the check answered 'fail: error rate 12.5%'", ended.GetProperty("reason").GetString(), StringComparison.Ordinal);
            await AllHoldAsync(_cohort, 80); // those that took the candidate are sent the baseline again
            await _mesh.SettledAsync();
            foreach (var p in _others)
            {
                Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is outside the cohort and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
            }
            Assert.Contains("mesh_rollout_gate_failures_total{reason=\"health\"} 1", await _mesh.GetAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            server.Stop();
            await serving.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public async Task APolicyCreatedThroughTheAdminApi_IsValidatedLikeAManifest_AndGovernsTheNextChange()
    {
        File.Delete(Path.Combine(_dir, "policy.yaml"));
        await ConnectAsync();
        await AllHoldAsync(_proxies, 80);
        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        static StringContent Yaml(string text) => new(text, System.Text.Encoding.UTF8, "application/yaml");

        var bad = await http.PutAsync(new Uri("/api/v1/rolloutpolicies/shop/admin", UriKind.Relative),
            Yaml(Policy.Replace("careful", "admin", StringComparison.Ordinal).Replace("percent: 10", "percent: 150", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("RolloutPolicy shop/admin", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var wrongName = await http.PutAsync(new Uri("/api/v1/rolloutpolicies/shop/other", UriKind.Relative), Yaml(Policy.Replace("careful", "admin", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, wrongName.StatusCode);
        Assert.Contains("the document names shop/admin, the path shop/other", await wrongName.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var put = await http.PutAsync(new Uri("/api/v1/rolloutpolicies/shop/admin", UriKind.Relative), Yaml(Policy.Replace("careful", "admin", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Contains("\"policy\":\"shop/admin\"", await http.GetStringAsync(new Uri("/api/v1/rolloutpolicies", UriKind.Relative)), StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_dir, "vs.yaml"), Split(30, 70));
        await AllHoldAsync(_cohort, 30);
        var rollout = await Eventually.UntilAsync("the admin policy's rollout", TimeSpan.FromSeconds(20), async () =>
            JsonDocument.Parse(await _mesh.GetAsync("/api/v1/rollouts/shop/admin")).RootElement.EnumerateArray().Select(e => e.Clone()).FirstOrDefault(),
            r => r.ValueKind == JsonValueKind.Object);
        Assert.Equal("Baking", rollout.GetProperty("phase").GetString());
        Assert.All(_others, p => Assert.Equal(80, WeightOfV1(p)));

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(new Uri("/api/v1/rolloutpolicies/shop/admin", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync(new Uri("/api/v1/rolloutpolicies/shop/admin", UriKind.Relative))).StatusCode);
    }

    private async Task<JsonElement> StatusAsync(Func<JsonElement, bool> until) =>
        await Eventually.UntilAsync("the rollout of shop/careful", TimeSpan.FromSeconds(20), async () =>
        {
            var all = JsonDocument.Parse(await _mesh.GetAsync("/api/v1/rollouts/shop/careful")).RootElement;
            return all.EnumerateArray().Select(e => e.Clone()).FirstOrDefault(until);
        }, found => found.ValueKind == JsonValueKind.Object);

    private async Task AllHoldAsync(IEnumerable<SimulatedProxy> proxies, int v1Weight)
    {
        foreach (var p in proxies)
        {
            await Eventually.UntilAsync($"{p.Id} to route {v1Weight}% to v1", TimeSpan.FromSeconds(20),
                () => Task.FromResult(WeightOfV1(p)), w => w == v1Weight);
        }
    }

    /// <summary>The weight of subset v1 in the proxy's route to reviews (-1 when it holds none yet).</summary>
    private int WeightOfV1(SimulatedProxy p) => _routes.TryGetValue(p.Id, out var bytes) ? ReviewsMesh.WeightOfV1(bytes) : -1;

    /// <summary>A proxy's generation in /debug/syncz: "baseline", or its rollouts joined by commas.</summary>
    private static string Generation(JsonElement g) =>
        g.ValueKind == JsonValueKind.Array ? string.Join(",", g.EnumerateArray().Select(r => r.GetString())) : g.GetString()!;

    private Dictionary<string, long> Counts() => _proxies.ToDictionary(p => p.Id, p => p.Counters().TotalResponses);

    private async Task ConnectAsync()
    {
        // Two delta and two SotW sidecars and one proxyless client in the 10% cohort, as many well outside it.
        foreach (var inCohort in new[] { true, false })
        {
            var list = inCohort ? _cohort : _others;
            list.Add(Sidecar(inCohort, 0, ProxyMode.Delta));
            list.Add(Sidecar(inCohort, 1, ProxyMode.Delta));
            list.Add(Sidecar(inCohort, 2, ProxyMode.Sotw));
            list.Add(Sidecar(inCohort, 3, ProxyMode.Sotw));
            list.Add(Proxyless(inCohort));
        }
        foreach (var p in _proxies)
        {
            await p.StartAsync();
        }
    }

    /// <summary>The first node whose bucket is in the 10% cohort (or at 50% or above), from <paramref name="make"/>(i).</summary>
    private static Envoy.Config.Core.V3.Node Pick(bool inCohort, Func<int, Envoy.Config.Core.V3.Node> make) =>
        Enumerable.Range(0, 100_000).Select(make).First(n => Cohort.BucketOf(n.Id) is var b && (inCohort ? b < 1_000 : b >= 5_000));

    private SimulatedProxy Sidecar(bool inCohort, int slot, ProxyMode mode)
    {
        var node = Pick(inCohort, i => SimulatedProxyOptions.SidecarNode($"web-{slot}-{i}", "shop", $"10.9.{slot}.{i % 250}", new Dictionary<string, string> { ["app"] = "web" }));
        return Track(new SimulatedProxyOptions
        {
            Node = node,
            Mode = mode,
            Gateways = [_mesh.XdsAddress],
            NackWhen = r => r.TypeUrl == TypeUrls.Route && _nackArmed.TryRemove(node.Id, out _),
            OnUpdate = u =>
            {
                if (u.TypeUrl == TypeUrls.Route && u.Name == "80" && !u.Removed)
                {
                    _routes[u.ProxyId] = u.Body.ToArray();
                }
            },
        });
    }

    private SimulatedProxy Proxyless(bool inCohort)
    {
        var node = Pick(inCohort, i => SimulatedProxyOptions.ProxylessNode($"grpc-client-{i}", "shop", $"10.8.0.{i % 250}"));
        return Track(new SimulatedProxyOptions
        {
            Node = node,
            Mode = ProxyMode.Delta,
            Gateways = [_mesh.XdsAddress],
            ListenerNames = [ProxylessRoute],
            NackWhen = r => r.TypeUrl == TypeUrls.Route && _nackArmed.TryRemove(node.Id, out _),
            OnUpdate = u =>
            {
                if (u.TypeUrl == TypeUrls.Route && u.Name == ProxylessRoute && !u.Removed)
                {
                    _routes[u.ProxyId] = u.Body.ToArray();
                }
            },
        });
    }

    private SimulatedProxy Track(SimulatedProxyOptions options)
    {
        var p = new SimulatedProxy(options);
        _proxies.Add(p);
        return p;
    }

    private static string Split(int v1, int v2) => ReviewsMesh.Split(v1, v2);

    private const string Policy = """
        apiVersion: mesh.dev/v1alpha1
        kind: RolloutPolicy
        metadata: {name: careful, namespace: shop}
        spec:
          selector: {kinds: [VirtualService]}
          stages:
          - percent: 10
          - percent: 100
          bake: 1h
        """;

    private const string Mesh = ReviewsMesh.Services;
}
