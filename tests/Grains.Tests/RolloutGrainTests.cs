using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

/// <summary>
/// Staged rollout in the grains: a governed VirtualService change becomes a candidate (only the
/// resources it changes exist twice), stages advance, a NACK or a failing health check rolls back,
/// a newer change supersedes or queues, an operator pauses, resumes, promotes and aborts, and the
/// rollout table tells gateways each stage.
/// </summary>
public sealed class RolloutGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    /// <summary>Routing with a VirtualService splitting v1/v2 by the given weights.</summary>
    private static ServiceRouting Split(string host, int v1, int v2) => new(TestServices.Subsets(host),
        [new VirtualService(ObjectMeta.Of("split", "t"), [host], [],
            [new HttpRoute(null, [], [new RouteDestination(new Destination(host, "v1", null), v1), new RouteDestination(new Destination(host, "v2", null), v2)], null, null)],
            [], [])]);

    private static RolloutPolicy Policy(string name, TimeSpan bake, RolloutConflict conflict = RolloutConflict.Supersede, bool manual = false, HealthGate? health = null,
        params double[] percents) => new(
        ObjectMeta.Of(name, "t"), RolloutSelector.Everything,
        [.. (percents.Length == 0 ? [1.0, 100] : percents).Select(p => new RolloutStage(p, null, null))],
        bake, new RolloutGates(0, null, health), conflict, manual);

    private sealed record Setup(string Host, IServiceGrain Service, IRolloutGrain Rollout, RolloutPolicy Policy);

    /// <summary>A service with a v1/v2 split of 80/20 as its baseline, and a policy of its own.</summary>
    private async Task<Setup> SetUpAsync(RolloutPolicy policy)
    {
        var host = $"svc-{Guid.NewGuid():N}.t.svc.cluster.local";
        var service = fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(host));
        await service.UpdateAsync(new ServiceUpdate { Definition = TestServices.Service(host), Endpoints = [TestServices.Endpoint("10.0.0.1", "v1"), TestServices.Endpoint("10.0.0.2", "v2")], Routing = Split(host, 80, 20) });
        return new Setup(host, service, fixture.Client.GetGrain<IRolloutGrain>($"t/{policy.Meta.Name}"), policy);
    }

    private static string Named(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static Task ProposeAsync(Setup s, int v1, int v2) =>
        s.Service.UpdateAsync(new ServiceUpdate { Routing = Split(s.Host, v1, v2), RolloutPolicy = s.Policy });

    private static async Task<RolloutStatus> StatusAsync(Setup s, Func<RolloutStatus, bool> until, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var all = await s.Rollout.GetStatusAsync();
            if (all.FirstOrDefault(until) is { } match)
            {
                return match;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"waited 10 s for {what}; statuses: {string.Join("; ", all.Select(a => $"{a.Id} {a.Phase} stage {a.Stage} {a.Reason}"))}");
            }
            await Task.Delay(20);
        }
    }

    private async Task<ImmutableArray<XdsResource>> ResourcesAsync(Setup s)
    {
        var observer = new RecordingObserver();
        return (await s.Service.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer))).Resources;
    }

    [Fact]
    public async Task AGovernedChange_IsACandidate_OnlyTheChangedRouteExistsTwice_AndPromotionMakesItTheBaseline()
    {
        var s = await SetUpAsync(Policy(Named("p"), TimeSpan.FromHours(1)));
        var baselineRoute = (await ResourcesAsync(s)).Single(r => r.TypeUrl == TypeUrls.Route);

        await ProposeAsync(s, 0, 100);
        var status = await StatusAsync(s, x => x.Phase == "Baking", "the rollout to start");
        Assert.Equal($"t/{s.Policy.Meta.Name}#1", status.Id);
        Assert.Equal(new[] { s.Host }, status.Hosts.ToArray());
        var change = Assert.Single(status.Changes);
        Assert.Equal(("VirtualService", "t", "split"), (change.Kind, change.Namespace, change.Name));
        Assert.NotEqual(change.OldVersion, change.NewVersion);

        var resources = await ResourcesAsync(s);
        var variants = resources.Where(r => r.Rollout is not null).ToList();
        var variant = Assert.Single(variants); // the route; clusters and endpoints are the same in both
        Assert.Equal((TypeUrls.Route, $"{s.Host}:80", status.Id), (variant.TypeUrl, variant.Name, variant.Rollout));
        Assert.Equal(baselineRoute.Version, resources.Single(r => r.TypeUrl == TypeUrls.Route && r.Rollout is null).Version);
        Assert.NotEqual(baselineRoute.Version, variant.Version);
        var table = await fixture.Client.GetGrain<IRolloutTableGrain>("default").GetRolloutsAsync();
        Assert.Contains(table, v => v.Id == status.Id && v.Stage == 0 && v.InFlight);

        Assert.Equal(1, (await s.Rollout.PromoteAsync())!.Stage);
        var done = await s.Rollout.PromoteAsync();
        Assert.Equal("Succeeded", done!.Phase);
        resources = await ResourcesAsync(s);
        Assert.DoesNotContain(resources, r => r.Rollout is not null);
        Assert.Equal(variant.Version, resources.Single(r => r.TypeUrl == TypeUrls.Route).Version);
        Assert.DoesNotContain(await fixture.Client.GetGrain<IRolloutTableGrain>("default").GetRolloutsAsync(), v => v.Id == status.Id);
    }

    [Fact]
    public async Task APolicyCreatedThroughTheAdminStore_GovernsAChangeTheIngestNamedNoPolicyFor()
    {
        var policy = Policy(Named("store"), TimeSpan.FromHours(1)) with { Selector = new RolloutSelector([ConfigKind.VirtualService], ["split"], ImmutableSortedDictionary<string, string>.Empty) };
        var s = await SetUpAsync(policy);
        var store = fixture.Client.GetGrain<IRolloutPolicyStoreGrain>("default");
        await store.PutAsync(policy);
        try
        {
            await s.Service.UpdateAsync(new ServiceUpdate { Routing = Split(s.Host, 0, 100) }); // no policy from the ingest
            var status = await StatusAsync(s, x => x.Phase == "Baking", "the stored policy's rollout to start");
            Assert.Equal($"t/{policy.Meta.Name}#1", status.Id);
            Assert.Contains(await store.GetAllAsync(), p => p.Meta.Name == policy.Meta.Name);
        }
        finally
        {
            Assert.True(await store.DeleteAsync("t", policy.Meta.Name));
            Assert.False(await store.DeleteAsync("t", policy.Meta.Name));
        }
    }

    [Fact]
    public async Task EndpointChanges_KeepFlowing_ToBothGenerations_DuringARollout()
    {
        var s = await SetUpAsync(Policy(Named("eds"), TimeSpan.FromHours(1)));
        await ProposeAsync(s, 0, 100);
        await StatusAsync(s, x => x.Phase == "Baking", "the rollout to start");
        var before = (await ResourcesAsync(s)).Where(r => r.TypeUrl == TypeUrls.Endpoint).ToDictionary(r => r.Name, r => r.Version);

        await s.Service.UpdateAsync(new ServiceUpdate { Endpoints = [TestServices.Endpoint("10.0.0.1", "v1"), TestServices.Endpoint("10.0.0.3", "v2")] });

        var after = await ResourcesAsync(s);
        var endpoints = after.Where(r => r.TypeUrl == TypeUrls.Endpoint).ToList();
        Assert.All(endpoints, r => Assert.Null(r.Rollout)); // the candidate changes routes only: one EDS for both generations
        Assert.NotEqual(before[$"outbound|80|v2|{s.Host}"], endpoints.Single(r => r.Name == $"outbound|80|v2|{s.Host}").Version);
        Assert.Equal(before[$"outbound|80|v1|{s.Host}"], endpoints.Single(r => r.Name == $"outbound|80|v1|{s.Host}").Version);
        Assert.Single(after, r => r.Rollout is not null); // the candidate's route is still there
        Assert.Equal("Baking", (await s.Rollout.GetStatusAsync())[0].Phase);
    }

    [Fact]
    public async Task ZeroBake_WalksEveryStage_ToSuccess()
    {
        var s = await SetUpAsync(Policy(Named("zero"), TimeSpan.Zero, percents: [1, 10, 50, 100]));
        await ProposeAsync(s, 0, 100);
        var done = await StatusAsync(s, x => x.Phase == "Succeeded", "zero-bake stages to pass");
        Assert.Equal(3, done.Stage);
        Assert.DoesNotContain(await ResourcesAsync(s), r => r.Rollout is not null);
    }

    [Fact]
    public async Task ANack_RollsBack_WithTheProxyResourceAndError_AndTheSameContentIsNotTriedAgain()
    {
        var s = await SetUpAsync(Policy(Named("nack"), TimeSpan.FromHours(1)));
        var baselineRoute = (await ResourcesAsync(s)).Single(r => r.TypeUrl == TypeUrls.Route);
        await ProposeAsync(s, 0, 100);
        var status = await StatusAsync(s, x => x.Phase == "Baking", "the rollout to start");

        await s.Rollout.NackAsync(status.Id, "sidecar~10.0.0.7~c-1.t~t.svc.cluster.local", $"rds {s.Host}:80", "Invalid route header matcher specified", "gw-1", 200);
        var ended = await StatusAsync(s, x => x.Phase == "RolledBack", "the NACK to roll back");
        Assert.Contains("1 cohort proxies NACKed (at most 0 allowed): proxy sidecar~10.0.0.7~c-1.t~t.svc.cluster.local NACKed rds", ended.Reason, StringComparison.Ordinal);
        Assert.Contains("Invalid route header matcher specified", ended.Reason, StringComparison.Ordinal);
        var resources = await ResourcesAsync(s);
        Assert.DoesNotContain(resources, r => r.Rollout is not null);
        Assert.Equal(baselineRoute.Version, resources.Single(r => r.TypeUrl == TypeUrls.Route).Version);

        // The same content again (a reconcile re-sending it) starts nothing; another edit does.
        await ProposeAsync(s, 0, 100);
        await Task.Delay(300);
        Assert.DoesNotContain(await s.Rollout.GetStatusAsync(), x => x.Phase == "Baking");
        await ProposeAsync(s, 10, 90);
        Assert.EndsWith("#2", (await StatusAsync(s, x => x.Phase == "Baking", "a new edit to start a rollout")).Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supersede_ReplacesTheCandidate_AndStartsAgain()
    {
        var s = await SetUpAsync(Policy(Named("sup"), TimeSpan.FromHours(1)));
        await ProposeAsync(s, 0, 100);
        var first = await StatusAsync(s, x => x.Phase == "Baking", "the first rollout");
        await s.Rollout.PromoteAsync();
        await ProposeAsync(s, 50, 50);

        var second = await StatusAsync(s, x => x.Phase == "Baking" && x.Id != first.Id, "the superseding rollout");
        Assert.Equal(0, second.Stage);
        var superseded = await StatusAsync(s, x => x.Id == first.Id, "the first to end");
        Assert.Equal("Superseded", superseded.Phase);
        Assert.Contains("superseded by a newer change", superseded.Reason, StringComparison.Ordinal);
        var variant = Assert.Single(await ResourcesAsync(s), r => r.Rollout is not null);
        Assert.Equal(second.Id, variant.Rollout);
    }

    [Fact]
    public async Task Queue_WaitsForTheRolloutInFlight_ThenRollsOutOnItsOwn()
    {
        var s = await SetUpAsync(Policy(Named("queue"), TimeSpan.FromHours(1), RolloutConflict.Queue));
        await ProposeAsync(s, 0, 100);
        var first = await StatusAsync(s, x => x.Phase == "Baking", "the first rollout");
        await ProposeAsync(s, 50, 50);
        await Task.Delay(300);
        Assert.Equal(first.Id, (await StatusAsync(s, x => x.Phase == "Baking", "the first still in flight")).Id);
        Assert.All(await ResourcesAsync(s), r => Assert.True(r.Rollout is null || r.Rollout == first.Id));

        await s.Rollout.PromoteAsync();
        await s.Rollout.PromoteAsync();
        var second = await StatusAsync(s, x => x.Phase == "Baking" && x.Id != first.Id, "the queued change to start");
        Assert.Equal("Succeeded", (await StatusAsync(s, x => x.Id == first.Id, "the first")).Phase);
        Assert.Equal(second.Id, Assert.Single(await ResourcesAsync(s), r => r.Rollout is not null).Rollout);
    }

    [Fact]
    public async Task PauseStopsTheBake_ResumeContinues_ManualWaitsForPromote()
    {
        var s = await SetUpAsync(Policy(Named("manual"), TimeSpan.FromMilliseconds(300), manual: true));
        await ProposeAsync(s, 0, 100);
        await StatusAsync(s, x => x.Phase == "Baking", "the rollout");
        Assert.Equal("Paused", (await s.Rollout.PauseAsync())!.Phase);
        await Task.Delay(600);
        Assert.Equal("Paused", (await s.Rollout.GetStatusAsync())[0].Phase);
        Assert.Equal("Baking", (await s.Rollout.ResumeAsync())!.Phase);
        var waiting = await StatusAsync(s, x => x.Phase == "AwaitingPromotion", "the manual stage to wait");
        Assert.Equal(0, waiting.Stage);
        Assert.Equal(1, (await s.Rollout.PromoteAsync())!.Stage);
    }

    [Fact]
    public async Task Abort_RollsBack_WithTheOperatorsReason()
    {
        var s = await SetUpAsync(Policy(Named("abort"), TimeSpan.FromHours(1)));
        await ProposeAsync(s, 0, 100);
        await StatusAsync(s, x => x.Phase == "Baking", "the rollout");
        var ended = await s.Rollout.AbortAsync("error budget burning");
        Assert.Equal("RolledBack", ended!.Phase);
        Assert.Equal("aborted by an operator: error budget burning", ended.Reason);
        Assert.DoesNotContain(await ResourcesAsync(s), r => r.Rollout is not null);
        Assert.Null(await s.Rollout.AbortAsync("again"));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK", "fail: p99 latency 2.3s", "the check answered 'fail: p99 latency 2.3s'")]
    [InlineData("HTTP/1.1 503 Service Unavailable", "down", "HTTP 503: down")]
    [InlineData("HTTP/1.1 200 OK", "<html>", "unrecognised answer '<html>'")]
    public async Task AFailingHealthCheck_RollsBack_WithItsReason(string statusLine, string body, string reason)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var serving = ServeAsync(server, statusLine, body, stop.Token);
        try
        {
            var health = new HealthGate($"http://127.0.0.1:{port}/check", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(150), 1);
            var s = await SetUpAsync(Policy(Named("health"), TimeSpan.FromHours(1), health: health));
            await ProposeAsync(s, 0, 100);
            var ended = await StatusAsync(s, x => x.Phase == "RolledBack", "the health gate to roll back");
            Assert.Contains($"health check failed 1 time(s) in a row: {reason}", ended.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(await ResourcesAsync(s), r => r.Rollout is not null);
        }
        finally
        {
            await stop.CancelAsync();
            server.Stop();
            await serving.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public async Task AHealthCheckThatNeverAnswers_FailsByItsTimeout_AndDoesNotWedgeTheRollout()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start(); // accepts connections (the backlog) and never answers
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        var health = new HealthGate($"http://127.0.0.1:{port}/check", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(100), 2);
        var s = await SetUpAsync(Policy(Named("timeout"), TimeSpan.FromHours(1), health: health));
        await ProposeAsync(s, 0, 100);
        var ended = await StatusAsync(s, x => x.Phase == "RolledBack", "the health gate to time out");
        Assert.Contains("health check failed 2 time(s) in a row: no answer within 0.1 s", ended.Reason, StringComparison.Ordinal);
        // The grain still answers operators (it was never blocked by the check).
        Assert.Null(await s.Rollout.PauseAsync());
    }

    private static async Task ServeAsync(TcpListener server, string statusLine, string body, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using var client = await server.AcceptTcpClientAsync(cancellationToken);
            var stream = client.GetStream();
            var buffer = new byte[4096];
            _ = await stream.ReadAsync(buffer, cancellationToken);
            var bytes = Encoding.ASCII.GetBytes($"{statusLine}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}");
            await stream.WriteAsync(bytes, cancellationToken);
        }
    }
}
