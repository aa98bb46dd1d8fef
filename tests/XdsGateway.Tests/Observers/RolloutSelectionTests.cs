using System.Collections.Immutable;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>
/// Staged rollouts at the gateway: each stream takes a service's candidate variant only while the
/// rollout's stage holds its node (by bucket), everything else and every other stream keeps the
/// baseline; a stage change or a rollback moves the streams with one resolution each; a cohort
/// stream's NACK of a candidate is reported to its rollout once.
/// </summary>
public sealed class RolloutSelectionTests : IAsyncLifetime, IDisposable
{
    private const string Ns = "shop";
    private const string Host = "a.shop.svc.cluster.local";
    private const string Rollout = "shop/careful#1";
    private static readonly string V1 = ResourceNames.OutboundCluster(80, "v1", Host);
    private static readonly string V2 = ResourceNames.OutboundCluster(80, "v2", Host);
    private static readonly string Route = ResourceNames.HostPort(Host, 80);
    private static readonly ImmutableArray<RolloutStage> Stages = [new(1, null, null), new(10, null, null), new(100, null, null)];

    private readonly FakeGrains _grains = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private GrainConfigWatcher _watcher = null!;

    // The baseline route (revision 1) and the candidate's (revision 2); the candidate drops subset v2.
    private static readonly XdsResource BaselineRoute = TestResources.Route(Route, 1);
    private static readonly XdsResource CandidateRoute = TestResources.Route(Route, 2) with { Rollout = Rollout };

    public Task InitializeAsync()
    {
        _grains.SetService(Host, TestResources.Cluster(V1), TestResources.Cluster(V2), TestResources.Endpoint(V1), TestResources.Endpoint(V2),
            TestResources.Listener(Route), BaselineRoute, CandidateRoute, XdsResource.Absent(TypeUrls.Cluster, V2, Rollout));
        _watcher = WatcherHarness.Create(_grains, _services);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _watcher.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }

    public void Dispose() => _watcher.Dispose();

    /// <summary>A node id whose bucket is in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static string NodeIdIn(int from, int to) =>
        Enumerable.Range(0, 1_000_000).Select(i => $"sidecar~10.0.{i / 250}.{i % 250}~client-{i}.shop~shop.svc.cluster.local")
            .First(id => Cohort.BucketOf(id) is var b && b >= from && b < to);

    private async Task<GrainProxyWatch> OpenAsync(string nodeId)
    {
        var key = Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Proxyless, Ns, null));
        _grains.SetScope(new ScopeSnapshot(key, "v1", true, [], [], [], [V1, V2], [], [Route]));
        var node = new ProxyNode(nodeId, ProxyKind.Proxyless, "10.0.0.9", "client", Ns, "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty);
        var watch = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
        watch.SetSubscription(TypeUrls.Route, new Subscription(false, NameSets.Of([Route])));
        watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);
        return watch;
    }

    private static Task<ResolvedResources> ResolveCompleteAsync(GrainProxyWatch watch, string typeUrl) => WatcherHarness.ResolveCompleteAsync(watch, typeUrl);

    private static RolloutView View(int stage, bool inFlight = true, long sequence = 1) => new(Rollout, Stages, stage, inFlight, sequence);

    [Fact]
    public async Task OnlyTheCohort_GetsTheCandidate_AndAWiderStageBringsTheRest()
    {
        _grains.Rollouts = [View(0)];
        await using var canary = await OpenAsync(NodeIdIn(0, 100));
        await using var other = await OpenAsync(NodeIdIn(5_000, 10_000));

        Assert.Equal(CandidateRoute.Version, (await ResolveCompleteAsync(canary, TypeUrls.Route)).Resources[Route].Version);
        Assert.Equal([V1], (await ResolveCompleteAsync(canary, TypeUrls.Cluster)).Resources.Keys); // the candidate drops v2
        Assert.Equal(BaselineRoute.Version, (await ResolveCompleteAsync(other, TypeUrls.Route)).Resources[Route].Version);
        Assert.Equal([V1, V2], (await ResolveCompleteAsync(other, TypeUrls.Cluster)).Resources.Keys);
        Assert.Equal(Rollout, Assert.Single(canary.Cohort.Rollouts));
        Assert.True(other.Cohort.IsNone);

        // 100%: the other stream is woken for each type it holds and now resolves the candidate.
        var woken = new List<string>();
        other.Changed += t => { lock (woken) { woken.Add(t); } };
        var canaryWoken = 0;
        canary.Changed += _ => Interlocked.Increment(ref canaryWoken);
        await _watcher.OnRolloutsChangedAsync([View(2, sequence: 2)]);
        Assert.Equal(CandidateRoute.Version, (await ResolveCompleteAsync(other, TypeUrls.Route)).Resources[Route].Version);
        lock (woken)
        {
            Assert.Equal([TypeUrls.Cluster, TypeUrls.Route], woken.Order(StringComparer.Ordinal));
        }
        Assert.Equal(0, canaryWoken); // already in the cohort: nothing to move
        Assert.Equal(2, _watcher.CohortCounts[Rollout]);

        // A late notification of the first stage never narrows it again.
        await _watcher.OnRolloutsChangedAsync([View(0, sequence: 1)]);
        Assert.False(other.Cohort.IsNone);
    }

    [Fact]
    public async Task AStreamInTwoCohorts_TakesTheScopeVariantOfBoth_AStreamInOneTakesThatOnesAlone()
    {
        const string Other = "shop/other#1";
        var route = "80";
        var baseline = TestResources.Route(route, 1);
        var onlyFirst = TestResources.Route(route, 2) with { Rollout = Rollout };
        var onlySecond = TestResources.Route(route, 3) with { Rollout = Other };
        var both = TestResources.Route(route, 4) with { Rollout = $"{Rollout}+{Other}" }; // ids in ordinal order, as scopes tag it
        // The first rollout at 100%, the other at 1%: the canary is in both, the other stream in the first only.
        _grains.Rollouts = [View(2), new RolloutView(Other, Stages, 0, true, 1)];
        var key = Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Sidecar, Ns, null));
        _grains.SetScope(new ScopeSnapshot(key, "v1", true, [], [baseline], [], [V1, V2], [], []) { Variants = [onlyFirst, onlySecond, both] });
        async Task<GrainProxyWatch> OpenSidecarAsync(string nodeId)
        {
            var node = new ProxyNode(nodeId, ProxyKind.Sidecar, "10.0.0.9", "web", Ns, "shop.svc.cluster.local", "web", ImmutableSortedDictionary<string, string>.Empty);
            var watch = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
            watch.SetSubscription(TypeUrls.Route, new Subscription(false, NameSets.Of([route])));
            return watch;
        }
        await using var canary = await OpenSidecarAsync(NodeIdIn(0, 100));
        await using var other = await OpenSidecarAsync(NodeIdIn(5_000, 10_000));

        Assert.Equal(both.Version, (await ResolveCompleteAsync(canary, TypeUrls.Route)).Resources[route].Version);
        Assert.Equal(onlyFirst.Version, (await ResolveCompleteAsync(other, TypeUrls.Route)).Resources[route].Version);

        // A NACK of the combined variant is a NACK of each rollout's candidate.
        var sent = await ResolveCompleteAsync(canary, TypeUrls.Route);
        canary.ReportSent(TypeUrls.Route, sent.Version, "n1", sent);
        canary.ReportNack(TypeUrls.Route, sent.Version, "bad");
        Assert.Equal([Rollout, Other], _grains.Nacks.Select(n => n.Rollout).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rollback_PutsTheCohortBackOnTheBaseline_InOneResolution()
    {
        _grains.Rollouts = [View(0)];
        await using var canary = await OpenAsync(NodeIdIn(0, 100));
        Assert.Equal(CandidateRoute.Version, (await ResolveCompleteAsync(canary, TypeUrls.Route)).Resources[Route].Version);

        await _watcher.OnRolloutsChangedAsync([]);

        Assert.True(canary.Cohort.IsNone);
        Assert.Equal(BaselineRoute.Version, (await ResolveCompleteAsync(canary, TypeUrls.Route)).Resources[Route].Version);
        Assert.Equal([V1, V2], (await ResolveCompleteAsync(canary, TypeUrls.Cluster)).Resources.Keys);
        Assert.Empty(_watcher.CohortCounts);
    }

    [Fact]
    public async Task ACohortNackOfACandidate_IsReportedOncePerStream_ABaselineNackIsNot()
    {
        _grains.Rollouts = [View(0)];
        await using var canary = await OpenAsync(NodeIdIn(0, 100));
        await using var other = await OpenAsync(NodeIdIn(5_000, 10_000));
        foreach (var w in new[] { canary, other })
        {
            var sent = await ResolveCompleteAsync(w, TypeUrls.Route);
            w.ReportSent(TypeUrls.Route, sent.Version, "n1", sent);
            w.ReportNack(TypeUrls.Route, sent.Version, "Invalid route header matcher specified");
        }
        canary.ReportNack(TypeUrls.Route, "again", "Invalid route header matcher specified");

        var report = Assert.Single(_grains.Nacks);
        Assert.Equal("shop/careful", report.Policy);
        Assert.Equal(Rollout, report.Rollout);
        Assert.Equal(canary.Node.Id, report.Node);
        Assert.Equal($"rds {Route}", report.Resource);
        Assert.Equal("Invalid route header matcher specified", report.Detail);
        Assert.Equal(1, report.Cohort);
    }
}
