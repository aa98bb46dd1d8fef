using System.Collections.Immutable;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>
/// The grain-backed watch of one stream, against grains answered from memory: what a node may be
/// served by name, the wildcard sets of a proxyless node, and subscription changes racing
/// notifications.
/// </summary>
[Trait("Category", "BVT")]
public sealed class GrainProxyWatchTests : IAsyncLifetime, IDisposable
{
    private const string Ns = "shop";
    private const string HostA = "a.shop.svc.cluster.local";
    private const string HostB = "b.shop.svc.cluster.local";
    private const string Hidden = "hidden.other.svc.cluster.local";
    private static readonly string V1 = ResourceNames.OutboundCluster(80, "v1", HostA);
    private static readonly string V2 = ResourceNames.OutboundCluster(80, "v2", HostA);
    private static readonly string ClusterB = ResourceNames.OutboundCluster(80, null, HostB);
    private static readonly string HiddenCluster = ResourceNames.OutboundCluster(80, null, Hidden);

    private readonly FakeGrains _grains = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private GrainConfigWatcher _watcher = null!;

    public Task InitializeAsync()
    {
        _grains.SetService(HostA, TestResources.Cluster(V1), TestResources.Cluster(V2), TestResources.Endpoint(V1), TestResources.Endpoint(V2),
            TestResources.Listener(ResourceNames.HostPort(HostA, 80)), TestResources.Route(ResourceNames.HostPort(HostA, 80)));
        _grains.SetService(HostB, TestResources.Cluster(ClusterB), TestResources.Endpoint(ClusterB), TestResources.Listener(ResourceNames.HostPort(HostB, 80)));
        _grains.SetService(Hidden, TestResources.Cluster(HiddenCluster), TestResources.Endpoint(HiddenCluster));
        _watcher = WatcherHarness.Create(_grains, _services);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _watcher.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }

    public void Dispose() => _watcher.Dispose();

    /// <summary>Opens a proxyless stream whose scope sees services a and b (not the hidden one).</summary>
    private async Task<GrainProxyWatch> OpenProxylessAsync()
    {
        var key = Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Proxyless, Ns, null));
        _grains.SetScope(new ScopeSnapshot(key, "v1", true, [], [], [], [ClusterB, V1, V2], [],
            [ResourceNames.HostPort(HostA, 80), ResourceNames.HostPort(HostB, 80)]));
        var node = new ProxyNode("sidecar~10.0.0.9~client-1.shop~shop.svc.cluster.local", ProxyKind.Proxyless, "10.0.0.9", "client-1", Ns,
            "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty);
        return (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
    }

    private static Task<ResolvedResources> ResolveCompleteAsync(GrainProxyWatch watch, string typeUrl) => WatcherHarness.ResolveCompleteAsync(watch, typeUrl);

    [Fact]
    public async Task LeaseRenewal_OfUnchangedWorkloadScopeAndServices_FetchesNothing_AndRepairsAMissedChange_R08()
    {
        await using var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);
        Assert.Equal([V1, V2, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Cluster)).Resources.Keys);
        var changes = new List<string>();
        watch.Changed += t => { lock (changes) { changes.Add(t); } };

        // Nothing changed since the load: the renewal sends the versions held and gets nothing back.
        await RenewAndWaitAsync(renewals: 2);
        Assert.Equal(2, _grains.Calls("IServiceGrain.SubscribeAsync")); // the first loads only
        Assert.Equal(1, _grains.Calls("IScopeGrain.SubscribeAsync"));
        Assert.Equal(1, _grains.Calls("IWorkloadGrain.SubscribeAsync"));
        Assert.Equal(1, _grains.Calls("IScopeGrain.RenewAsync"));
        Assert.Equal(1, _grains.Calls("IWorkloadGrain.RenewAsync"));
        Assert.Empty(changes);

        // b changed and its notification was lost: the next renewal fetches b and wakes the stream.
        var bV2 = TestResources.Cluster(ClusterB, 2);
        _grains.SetService(HostB, bV2, TestResources.Endpoint(ClusterB), TestResources.Listener(ResourceNames.HostPort(HostB, 80)));
        await RenewAndWaitAsync(renewals: 4);
        Assert.Equal(bV2.Version, (await watch.ResolveAsync(TypeUrls.Cluster)).Resources[ClusterB].Version);
        lock (changes)
        {
            Assert.Contains(TypeUrls.Cluster, changes);
        }
    }

    private async Task RenewAndWaitAsync(int renewals)
    {
        _watcher.RenewSoon(TimeSpan.Zero);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (_grains.Calls("IServiceGrain.RenewAsync") < renewals)
        {
            await Task.Delay(5, timeout.Token);
        }
        await Task.Delay(50, CancellationToken.None); // the renewal applies what it fetched right after the call
    }

    [Fact]
    public async Task Proxyless_WildcardLdsAndCds_HoldWhatItsScopeSees_X17()
    {
        await using var watch = await OpenProxylessAsync();

        watch.SetSubscription(TypeUrls.Listener, Subscription.WildcardOnly);
        watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);

        var lds = await ResolveCompleteAsync(watch, TypeUrls.Listener);
        var cds = await ResolveCompleteAsync(watch, TypeUrls.Cluster);
        Assert.True(lds.Complete && cds.Complete);
        Assert.Equal([ResourceNames.HostPort(HostA, 80), ResourceNames.HostPort(HostB, 80)], lds.Resources.Keys);
        Assert.Equal([V1, V2, ClusterB], cds.Resources.Keys);
    }

    /// <summary>
    /// A scope's streams share one resolution per subscription. The type URL arrives as a string the
    /// request parser made (never the <see cref="TypeUrls"/> constant itself), and it was once
    /// compared by reference: every stream resolved every set whole, 40,000 times per gateway in the
    /// 20,000-proxy connect.
    /// </summary>
    [Fact]
    public async Task StreamsOfOneScope_ResolveASubscriptionOnce_WhicheverStringNamesTheType()
    {
        static string Parsed(string typeUrl) => new(typeUrl.AsSpan());
        async Task<(GrainProxyWatch Watch, ResolvedResources Eds, ResolvedResources Lds)> StreamAsync(int n)
        {
            var node = new ProxyNode($"sidecar~10.0.1.{n}~client-{n}.shop~shop.svc.cluster.local", ProxyKind.Proxyless, $"10.0.1.{n}", $"client-{n}", Ns,
                "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty);
            var watch = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
            // As a request gives it: the names as the gateway's shared set of them, in the client's order.
            watch.SetSubscription(Parsed(TypeUrls.Endpoint), new Subscription(false, NameSets.Of(n % 2 == 0 ? [V1, ClusterB] : [ClusterB, V1])));
            watch.SetSubscription(Parsed(TypeUrls.Listener), Subscription.WildcardOnly);
            return (watch, await ResolveCompleteAsync(watch, Parsed(TypeUrls.Endpoint)), await ResolveCompleteAsync(watch, Parsed(TypeUrls.Listener)));
        }

        // The first stream's sets are patched as its services load; the next resolves them whole once.
        await using var loading = await OpenProxylessAsync();
        loading.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, ClusterB]));
        await ResolveCompleteAsync(loading, TypeUrls.Endpoint);
        var (second, eds, lds) = await StreamAsync(2);
        await using var _ = second;
        var whole = _watcher.WholeResolutions;

        var (third, eds3, lds3) = await StreamAsync(3);
        await using var __ = third;
        Assert.Same(eds, eds3);
        Assert.Same(lds, lds3);
        Assert.Equal(whole, _watcher.WholeResolutions);
    }

    /// <summary>
    /// The workloads of a namespace with the same ports have equal inbound listeners and clusters:
    /// their sidecars share the scope's wildcard sets. A workload with other ports gets its own.
    /// </summary>
    [Fact]
    public async Task SidecarsOfWorkloadsWithEqualInboundSides_ShareTheirWildcardSets_OthersResolveTheirOwn()
    {
        var port8080 = new[] { TestResources.Cluster("inbound|8080||"), TestResources.Listener("virtualInbound") };
        _grains.SetInbound("a", port8080);
        _grains.SetInbound("b", port8080);
        _grains.SetInbound("c", TestResources.Cluster("inbound|9090||"), TestResources.Listener("virtualInbound", revision: 2));
        _grains.SetScope(new ScopeSnapshot(Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Sidecar, Ns, null)), "v1", true,
            [TestResources.Listener("virtualOutbound")], [], [], [ClusterB, V1], [], []));
        async Task<(GrainProxyWatch Watch, ResolvedResources Cds, ResolvedResources Lds)> SidecarAsync(string workload, int n)
        {
            var node = new ProxyNode($"sidecar~10.0.2.{n}~{workload}-{n}.shop~shop.svc.cluster.local", ProxyKind.Sidecar, $"10.0.2.{n}", $"{workload}-{n}", Ns,
                "shop.svc.cluster.local", workload, ImmutableSortedDictionary<string, string>.Empty);
            var watch = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
            watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);
            watch.SetSubscription(TypeUrls.Listener, Subscription.WildcardOnly);
            return (watch, await ResolveCompleteAsync(watch, TypeUrls.Cluster), await ResolveCompleteAsync(watch, TypeUrls.Listener));
        }

        var (a, cdsA, ldsA) = await SidecarAsync("a", 1);
        await using var _ = a;
        Assert.Equal(["inbound|8080||", V1, ClusterB], cdsA.Resources.Keys.Order(StringComparer.Ordinal));
        var whole = _watcher.WholeResolutions;

        var (b, cdsB, ldsB) = await SidecarAsync("b", 2);
        await using var __ = b;
        Assert.Same(cdsA, cdsB);
        Assert.Same(ldsA, ldsB);
        Assert.Equal(whole, _watcher.WholeResolutions);

        var (c, cdsC, ldsC) = await SidecarAsync("c", 3);
        await using var ___ = c;
        Assert.Equal(["inbound|9090||", V1, ClusterB], cdsC.Resources.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(ldsA.Resources["virtualInbound"].Version, ldsC.Resources["virtualInbound"].Version);
        Assert.Equal(whole + 2, _watcher.WholeResolutions);
    }

    /// <summary>
    /// Status reports go to the nodes' status shards, one call per shard per flush: the connections
    /// of 200 proxies are 200 reports in at most <see cref="ProxyStatusShards.Count"/> calls, each
    /// node's in the shard its id hashes to (where its ProxyGrain reads it).
    /// </summary>
    [Fact]
    public async Task StatusReports_GoOneCallPerShard_EachNodeToTheShardOfItsId()
    {
        var key = Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Proxyless, Ns, null));
        _grains.SetScope(new ScopeSnapshot(key, "v1", true, [], [], [], [ClusterB], [], []));
        var watches = new List<GrainProxyWatch>();
        for (var i = 0; i < 200; i++)
        {
            var node = new ProxyNode($"sidecar~10.0.3.{i}~client-{i}.shop~shop.svc.cluster.local", ProxyKind.Proxyless, $"10.0.3.{i}", $"client-{i}", Ns,
                "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty);
            watches.Add((GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None));
        }

        await _watcher.StopAsync(CancellationToken.None); // flushes what is pending

        var reports = _grains.StatusReports.ToList();
        Assert.Equal(watches.Select(w => w.Node.Id).Order(StringComparer.Ordinal), reports.Select(r => r.NodeId).Order(StringComparer.Ordinal));
        Assert.All(reports, r => Assert.Equal(ProxyStatusShards.Of(r.NodeId), r.Shard));
        var shards = reports.Select(r => r.Shard).Distinct().Count();
        Assert.InRange(shards, 2, ProxyStatusShards.Count);
        Assert.Equal(shards, _grains.Calls("IProxyStatusGrain.ReportAsync"));
        foreach (var w in watches)
        {
            await w.DisposeAsync();
        }
    }

    [Fact]
    public async Task NamedResourceOfAServiceTheScopeDoesNotSee_DoesNotExist_AndActivatesNoGrain_X22()
    {
        await using var watch = await OpenProxylessAsync();

        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([HiddenCluster, ClusterB]));
        watch.SetSubscription(TypeUrls.Listener, Subscription.Of([ResourceNames.HostPort(Hidden, 80)]));
        watch.SetSubscription(TypeUrls.Cluster, Subscription.Of(["outbound|80||invented-1.x.svc.cluster.local", "outbound|80||invented-2.x.svc.cluster.local"]));

        var eds = await ResolveCompleteAsync(watch, TypeUrls.Endpoint);
        Assert.True(eds.Complete);
        Assert.Equal([ClusterB], eds.Resources.Keys);
        Assert.Empty((await ResolveCompleteAsync(watch, TypeUrls.Listener)).Resources);
        Assert.Empty((await ResolveCompleteAsync(watch, TypeUrls.Cluster)).Resources);
        Assert.DoesNotContain(_grains.ServiceKeys, k => k == Hidden || k.StartsWith("invented", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Release_ForgetsEveryServiceTheStreamHeld_AndUnsubscribesThem()
    {
        var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, ClusterB]));
        await ResolveCompleteAsync(watch, TypeUrls.Endpoint);
        Assert.Equal(2, _watcher.ServiceEntryCount);

        await watch.DisposeAsync();

        Assert.Equal(0, _watcher.ServiceEntryCount);
        Assert.Empty(_watcher.Watches);
        await Eventually.WaitAsync(
            () => _grains.Calls("IServiceGrain.UnsubscribeAsync") == 2 && _watcher.PendingReleases == 0,
            () => $"both services unsubscribed in the background; {_grains.Calls("IServiceGrain.UnsubscribeAsync")} unsubscribes, {_watcher.PendingReleases} releases pending");
    }

    [Fact]
    public async Task ChangeRacingAnUnsubscribe_NeverPutsTheUnsubscribedNameBack_X40()
    {
        await using var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, V2]));
        Assert.Equal([V1, V2], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys);

        // A notification for v1 picks the names it wants while the stream still has v1 ...
        var wanted = watch.Want([new ResourceId(TypeUrls.Endpoint, V1)]);
        Assert.NotNull(wanted);
        // ... the stream unsubscribes v1 and resolves its new set before the notification patches.
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V2]));
        Assert.Equal([V2], (await watch.ResolveAsync(TypeUrls.Endpoint)).Resources.Keys);
        watch.Apply(wanted, memo: null);

        Assert.Equal([V2], (await watch.ResolveAsync(TypeUrls.Endpoint)).Resources.Keys);
    }

    [Fact]
    public async Task ChangeToANameTheStreamDropped_WakesNothing_X40()
    {
        await using var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, V2]));
        await ResolveCompleteAsync(watch, TypeUrls.Endpoint);
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V2]));
        var woken = new List<string>();
        watch.Changed += woken.Add;

        await _watcher.OnResourcesChangedAsync(new ResourceChange(HostA, [TestResources.Endpoint(V1, revision: 2)], []));

        Assert.Empty(woken);
        Assert.Equal([V2], (await watch.ResolveAsync(TypeUrls.Endpoint)).Resources.Keys);
    }
    [Fact]
    public async Task ReportSent_RecordsTheSetTheResponseWasBuiltFrom_NotTheStreamsLaterResolution()
    {
        await using var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);
        var sent = await ResolveCompleteAsync(watch, TypeUrls.Cluster);
        Assert.Contains(ClusterB, sent.Resources.Keys);

        // A change lands between building the response and recording it: the stream's cached
        // resolution is now of the new scope (b gone), but config_dump must show what was sent.
        var changed = new ScopeSnapshot(Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Proxyless, Ns, null)), "v2", true, [], [], [], [V1, V2], [],
            [ResourceNames.HostPort(HostA, 80)], Sequence: DateTime.UtcNow.Ticks);
        _grains.SetScope(changed);
        await _watcher.OnScopeChangedAsync(changed);
        var later = await ResolveCompleteAsync(watch, TypeUrls.Cluster);
        Assert.DoesNotContain(ClusterB, later.Resources.Keys);

        watch.ReportSent(TypeUrls.Cluster, sent.Version, "nonce-1", sent);

        var state = watch.SyncStates.Single(x => x.TypeUrl == TypeUrls.Cluster);
        Assert.Equal(sent.Version, state.Sent);
        Assert.Equal(sent.Resources.Keys, state.LastSentResources.Keys);
    }

    [Fact]
    public async Task ScopeLearningAndDroppingNames_PatchesTheSets_ToWhatAWholeResolutionGives()
    {
        var key = Grains.Keys.ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Proxyless, Ns, null));
        await using var watch = await OpenProxylessAsync();
        var first = new ScopeSnapshot(key, "v0", true, [], [], [], [ClusterB, V1], [], [ResourceNames.HostPort(HostB, 80)], Sequence: 1);
        _grains.SetScope(first);
        await _watcher.OnScopeChangedAsync(first);
        watch.SetSubscription(TypeUrls.Cluster, Subscription.WildcardOnly);
        watch.SetSubscription(TypeUrls.Listener, Subscription.WildcardOnly);
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([ClusterB, V1]));
        Assert.Equal([V1, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Cluster)).Resources.Keys);
        Assert.Equal([V1, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys.Order(StringComparer.Ordinal));
        await ResolveCompleteAsync(watch, TypeUrls.Listener);
        var woken = new List<string>();
        watch.Changed += woken.Add;
        var whole = _watcher.WholeResolutions;

        // The scope learns a's v2 subset and a's listener (a is loaded): they enter the wildcard sets; EDS (v2 not subscribed) is untouched.
        var learned = new ScopeSnapshot(key, "v1", true, [], [], [], [ClusterB, V1, V2], [],
            [ResourceNames.HostPort(HostA, 80), ResourceNames.HostPort(HostB, 80)], Sequence: 2);
        _grains.SetScope(learned);
        await _watcher.OnScopeChangedAsync(learned);

        Assert.Equal(new[] { TypeUrls.Cluster, TypeUrls.Listener }.Order(StringComparer.Ordinal), woken.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal([V1, V2, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Cluster)).Resources.Keys);
        Assert.Equal([ResourceNames.HostPort(HostA, 80), ResourceNames.HostPort(HostB, 80)], (await ResolveCompleteAsync(watch, TypeUrls.Listener)).Resources.Keys);
        Assert.Equal(whole, _watcher.WholeResolutions); // patched: the changed names, not every name again
        await AssertAsWholeAsync(watch);

        // Then it drops b: gone from the wildcard sets and from the named EDS set.
        var dropped = learned with { Version = "v2", ClusterNames = [V1, V2], ServiceListeners = [ResourceNames.HostPort(HostA, 80)], Sequence = 3 };
        _grains.SetScope(dropped);
        await _watcher.OnScopeChangedAsync(dropped);
        whole = _watcher.WholeResolutions;

        Assert.Equal([V1, V2], (await watch.ResolveAsync(TypeUrls.Cluster)).Resources.Keys);
        Assert.Equal([V1], (await watch.ResolveAsync(TypeUrls.Endpoint)).Resources.Keys);
        Assert.Equal([ResourceNames.HostPort(HostA, 80)], (await watch.ResolveAsync(TypeUrls.Listener)).Resources.Keys);
        Assert.Equal(whole, _watcher.WholeResolutions);
        await AssertAsWholeAsync(watch);
    }

    [Fact]
    public async Task SubscribingOneMoreName_PatchesItIn_AndUnsubscribingTakesItOut()
    {
        await using var watch = await OpenProxylessAsync();
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([ClusterB, V2]));
        Assert.Equal([V2, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys.Order(StringComparer.Ordinal));
        var whole = _watcher.WholeResolutions;

        // Both services are loaded (a name of a service still loading is resolved whole, with the rest).
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([ClusterB, V1, V2]));
        Assert.Equal([V1, V2, ClusterB], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys.Order(StringComparer.Ordinal));
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, HiddenCluster]));
        Assert.Equal([V1], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys);

        Assert.Equal(whole, _watcher.WholeResolutions);
        await AssertAsWholeAsync(watch);
        whole = _watcher.WholeResolutions; // the comparison's own stream resolved whole

        // A change of more names than a patch is worth is resolved whole.
        watch.SetSubscription(TypeUrls.Endpoint, Subscription.Of([.. Enumerable.Range(0, GrainProxyWatch.MaxPatchedSubscriptionChange + 1).Select(i => ResourceNames.OutboundCluster(80, $"s{i}", HostA)), V2]));
        Assert.Equal([V2], (await ResolveCompleteAsync(watch, TypeUrls.Endpoint)).Resources.Keys);
        Assert.Equal(whole + 1, _watcher.WholeResolutions);
    }

    /// <summary>
    /// Issue 15 item 4 (G-04): in one scope, a C-core 1.51 client gets its routes without
    /// max_stream_duration (it fires them early), built once for every such stream and patched when the
    /// route changes, while a grpc-js client of the same scope gets the route as built.
    /// </summary>
    [Fact]
    public async Task RouteTimeouts_AreWithheldFromCCore151Only_SharedByItsStreams_AndFollowChanges_G04()
    {
        var name = ResourceNames.HostPort(HostA, 80);
        _grains.SetService(HostA, TestResources.Cluster(V1), TestResources.Cluster(V2), TestResources.Endpoint(V1), TestResources.Endpoint(V2),
            TestResources.Listener(name), TimedRoute(name, TimeSpan.FromMilliseconds(300)));
        await using var core = await OpenProxylessAsync();
        var cores = new List<GrainProxyWatch>();
        var js = (GrainProxyWatch)await _watcher.OpenAsync(Client(20, "gRPC Node Pure JS", "1.14.7"), CancellationToken.None);
        await using var jsWatch = js;
        foreach (var n in new[] { 21, 22 })
        {
            cores.Add((GrainProxyWatch)await _watcher.OpenAsync(Client(n, "gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1"), CancellationToken.None));
        }
        try
        {
            foreach (var w in cores.Append(js))
            {
                w.SetSubscription(TypeUrls.Route, Subscription.Of([name]));
            }

            var forJs = (await ResolveCompleteAsync(js, TypeUrls.Route)).Resources[name];
            var forCore = (await ResolveCompleteAsync(cores[0], TypeUrls.Route)).Resources[name];
            Assert.Equal(TimeSpan.FromMilliseconds(300), MaxStreamDuration(forJs));
            Assert.Null(MaxStreamDuration(forCore));
            Assert.Same(forCore, (await ResolveCompleteAsync(cores[1], TypeUrls.Route)).Resources[name]);
            Assert.Equal(ClientQuirks.None, core.Node.Quirks); // the helper's client sends no user agent: taken as is
            core.SetSubscription(TypeUrls.Route, Subscription.Of([name]));
            Assert.Same(forJs, (await ResolveCompleteAsync(core, TypeUrls.Route)).Resources[name]);

            await _watcher.OnResourcesChangedAsync(new ResourceChange(HostA, [TimedRoute(name, TimeSpan.FromSeconds(2))], []));

            var changedJs = (await ResolveCompleteAsync(js, TypeUrls.Route)).Resources[name];
            var changedCore = (await ResolveCompleteAsync(cores[0], TypeUrls.Route)).Resources[name];
            Assert.Equal(TimeSpan.FromSeconds(2), MaxStreamDuration(changedJs));
            Assert.Null(MaxStreamDuration(changedCore));
            Assert.NotEqual(forCore.Version, changedCore.Version); // the route changed otherwise too: the client gets the change
            Assert.Same(changedCore, (await ResolveCompleteAsync(cores[1], TypeUrls.Route)).Resources[name]);
        }
        finally
        {
            foreach (var w in cores)
            {
                await w.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Locality failover (issue 15): a load assignment carrying a locality plan reaches each stream
    /// with the priorities of its own locality, built once per locality and shared by the streams
    /// there; a change re-applies it; an assignment without a plan is the same instance for all.
    /// </summary>
    [Fact]
    public async Task LoadAssignmentWithALocalityPlan_HasThePrioritiesOfEachStreamsLocality_SharedPerLocality()
    {
        var zoneA = new Mesh.Model.Services.Locality("r1", "a", "");
        var zoneB = new Mesh.Model.Services.Locality("r1", "b", "");
        _grains.SetService(HostA, TestResources.Cluster(V1), TestResources.Cluster(V2), LocalityAssignment(V1, 1), TestResources.Endpoint(V2),
            TestResources.Listener(ResourceNames.HostPort(HostA, 80)), TestResources.Route(ResourceNames.HostPort(HostA, 80)));
        await using var helper = await OpenProxylessAsync(); // sets the scope
        var watches = new List<GrainProxyWatch>();
        try
        {
            foreach (var (n, locality) in new[] { (30, zoneA), (31, zoneA), (32, zoneB) })
            {
                var node = Client(n, "gRPC Node Pure JS", "1.14.7") with { Locality = locality };
                var w = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
                watches.Add(w);
                w.SetSubscription(TypeUrls.Endpoint, Subscription.Of([V1, V2]));
            }

            var inA = (await ResolveCompleteAsync(watches[0], TypeUrls.Endpoint)).Resources;
            var inB = (await ResolveCompleteAsync(watches[2], TypeUrls.Endpoint)).Resources;
            Assert.Equal(new Dictionary<string, uint> { ["a"] = 0, ["b"] = 1 }, Priorities(inA[V1]));
            Assert.Equal(new Dictionary<string, uint> { ["a"] = 1, ["b"] = 0 }, Priorities(inB[V1]));
            Assert.Same(inA[V1], (await ResolveCompleteAsync(watches[1], TypeUrls.Endpoint)).Resources[V1]);
            Assert.Same(inA[V2], inB[V2]); // no plan: one resource for every locality

            await _watcher.OnResourcesChangedAsync(new ResourceChange(HostA, [LocalityAssignment(V1, 2)], []));

            var changedB = (await ResolveCompleteAsync(watches[2], TypeUrls.Endpoint)).Resources[V1];
            Assert.NotEqual(inB[V1].Version, changedB.Version);
            Assert.Equal(new Dictionary<string, uint> { ["a"] = 1, ["b"] = 0 }, Priorities(changedB));
            Assert.Equal(2, Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(changedB.Body.Span).Endpoints.First(e => e.Locality.Zone == "b").LbEndpoints.Count);
        }
        finally
        {
            foreach (var w in watches)
            {
                await w.DisposeAsync();
            }
        }
    }

    /// <summary>Endpoints in zones a and b of region r1 (zone b holds <paramref name="inB"/> of them), with the default failover plan.</summary>
    private static XdsResource LocalityAssignment(string name, int inB)
    {
        var cla = new Envoy.Config.Endpoint.V3.ClusterLoadAssignment { ClusterName = name };
        foreach (var (zone, count) in new[] { ("a", 1), ("b", inB) })
        {
            var group = new Envoy.Config.Endpoint.V3.LocalityLbEndpoints { Locality = new Envoy.Config.Core.V3.Locality { Region = "r1", Zone = zone }, LoadBalancingWeight = (uint)count };
            for (var i = 0; i < count; i++)
            {
                group.LbEndpoints.Add(new Envoy.Config.Endpoint.V3.LbEndpoint { Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = new Envoy.Config.Core.V3.Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = $"10.9.{(zone == "a" ? 1 : 2)}.{i + 1}", PortValue = 80 } } } });
            }
            cla.Endpoints.Add(group);
        }
        return LocalityLoadBalancing.WithPlan(XdsResource.From(TypeUrls.Endpoint, name, cla), new LocalityLbPlan([], []));
    }

    private static Dictionary<string, uint> Priorities(XdsResource assignment) =>
        Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(assignment.Body.Span).Endpoints.ToDictionary(e => e.Locality.Zone, e => e.Priority);

    private static ProxyNode Client(int n, string userAgentName, string userAgentVersion) =>
        new($"sidecar~10.0.4.{n}~client-{n}.shop~shop.svc.cluster.local", ProxyKind.Proxyless, $"10.0.4.{n}", $"client-{n}", Ns,
            "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty)
        {
            UserAgentName = userAgentName,
            UserAgentVersion = userAgentVersion,
            Quirks = ProxylessClients.QuirksOf(userAgentName, userAgentVersion),
        };

    /// <summary>A route whose every other field follows the timeout too (a changed route is a changed resource for every client).</summary>
    private static XdsResource TimedRoute(string name, TimeSpan timeout) =>
        XdsResource.From(TypeUrls.Route, name, new Envoy.Config.Route.V3.RouteConfiguration
        {
            Name = name,
            VirtualHosts =
            {
                new Envoy.Config.Route.V3.VirtualHost
                {
                    Name = name,
                    Domains = { "*" },
                    Routes =
                    {
                        new Envoy.Config.Route.V3.Route
                        {
                            Name = "timed",
                            Match = new Envoy.Config.Route.V3.RouteMatch { Prefix = "/" },
                            Route_ = new Envoy.Config.Route.V3.RouteAction
                            {
                                Cluster = V1,
                                Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout),
                                MaxStreamDuration = new Envoy.Config.Route.V3.RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout) },
                            },
                        },
                    },
                },
            },
        });

    private static TimeSpan? MaxStreamDuration(XdsResource route) =>
        Envoy.Config.Route.V3.RouteConfiguration.Parser.ParseFrom(route.Body.Span).VirtualHosts[0].Routes[0].Route_.MaxStreamDuration?.MaxStreamDuration_?.ToTimeSpan();

    /// <summary>Each type's (patched) set holds the names and versions a new stream of the same scope and subscriptions resolves whole.</summary>
    private async Task AssertAsWholeAsync(GrainProxyWatch watch)
    {
        var node = new ProxyNode("sidecar~10.0.0.10~client-2.shop~shop.svc.cluster.local", ProxyKind.Proxyless, "10.0.0.10", "client-2", Ns,
            "shop.svc.cluster.local", "client", ImmutableSortedDictionary<string, string>.Empty);
        await using var fresh = (GrainProxyWatch)await _watcher.OpenAsync(node, CancellationToken.None);
        foreach (var type in new[] { TypeUrls.Listener, TypeUrls.Cluster, TypeUrls.Endpoint })
        {
            var patched = await ResolveCompleteAsync(watch, type);
            fresh.SetSubscription(type, watch.SubscriptionOf(type)!);
            var whole = await ResolveCompleteAsync(fresh, type);
            Assert.True(patched.Complete, type);
            Assert.Equal(whole.Resources.Select(r => (r.Key, r.Value.Version)), patched.Resources.Select(r => (r.Key, r.Value.Version)));
        }
    }
}
