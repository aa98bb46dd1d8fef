using Envoy.Service.Discovery.V3;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsGateway.Tests.Delta;

/// <summary>Incremental ADS over real sockets, rule by rule (XDS-PROTOCOL.md 1.I, P-tests).</summary>
[Trait("Category", "Functional")]
public sealed class DeltaStreamHandlerTests : IAsyncLifetime
{
    private readonly FakeConfigWatcher _watcher = new();
    private XdsTestServer _server = null!;
    private AdsTestClient _ads = null!;

    public async Task InitializeAsync()
    {
        _server = await XdsTestServer.StartAsync(_watcher);
        _ads = _server.Connect();
    }

    public async Task DisposeAsync()
    {
        await _ads.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static List<string> Names(DeltaDiscoveryResponse response) => [.. response.Resources.Select(r => r.Name).Order(StringComparer.Ordinal)];

    private async Task SubscribeAndAckAsync(string typeUrl, string name)
    {
        await _ads.SubscribeAsync(typeUrl, name);
        await ExpectAndAckAsync(typeUrl);
    }

    private async Task<DeltaDiscoveryResponse> ExpectAndAckAsync(string typeUrl)
    {
        var response = await _ads.ExpectDeltaAsync(typeUrl);
        await _ads.DeltaAckAsync(response);
        return response;
    }

    /// <summary>
    /// The subscription the stream set for the type, once <paramref name="settled"/> holds (or as it
    /// is after <see cref="AdsTestClient.DefaultTimeout"/>, for the caller's assertions to report): a
    /// request that needs no answer is applied whenever the stream reads it.
    /// </summary>
    private async Task<Subscription> SubscriptionAsync(string typeUrl, Func<Subscription, bool>? settled = null)
    {
        var watch = await _watcher.LatestWatchAsync();
        using var timeout = new CancellationTokenSource(AdsTestClient.DefaultTimeout);
        while (true)
        {
            var subscription = watch.SubscriptionOf(typeUrl) ?? Subscription.None;
            if (settled is null || settled(subscription) || timeout.IsCancellationRequested)
            {
                return subscription;
            }
            await Task.Delay(10, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Delta_SubscribeNamed_SendsNameVersionAndSharedBody_X37()
    {
        var a = TestResources.Endpoint("a");
        _watcher.Set(TypeUrls.Endpoint, a, TestResources.Endpoint("b"));

        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a");
        var response = await ExpectAndAckAsync(TypeUrls.Endpoint);

        var resource = Assert.Single(response.Resources);
        Assert.Equal("a", resource.Name);
        Assert.Equal(a.Version, resource.Version);
        Assert.Equal(TypeUrls.Endpoint, resource.Resource_.TypeUrl);
        Assert.Equal(a.Body.ToArray(), resource.Resource_.Value.ToByteArray());
        Assert.NotEmpty(response.Nonce);
        Assert.Empty(response.RemovedResources);
        await _ads.ExpectNoDeltaAsync();
    }

    [Fact]
    public async Task Delta_LegacyWildcardFourSteps_MatchTheSpec_X18_X39_P03()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("A"), TestResources.Cluster("B"));

        // 1. resource_names_subscribe unset: subscription to "*".
        await _ads.DeltaRequestAsync(new() { TypeUrl = TypeUrls.Cluster });
        Assert.Equal(["A", "B"], Names(await ExpectAndAckAsync(TypeUrls.Cluster)));
        var s1 = await SubscriptionAsync(TypeUrls.Cluster);
        Assert.True(s1.Wildcard);
        Assert.Empty(s1.Names);

        // 2. subscribe "A": keeps "*", adds "A"; A is answered again.
        await _ads.SubscribeAsync(TypeUrls.Cluster, "A");
        Assert.Equal(["A"], Names(await ExpectAndAckAsync(TypeUrls.Cluster)));
        var s2 = await SubscriptionAsync(TypeUrls.Cluster);
        Assert.True(s2.Wildcard);
        Assert.Equal(["A"], s2.Names);

        // 3. unsubscribe "*": keeps "A" only; an unsubscribe needs no answer.
        await _ads.UnsubscribeAsync(TypeUrls.Cluster, "*");
        await _ads.ExpectNoDeltaAsync();
        var s3 = await SubscriptionAsync(TypeUrls.Cluster, s => !s.Wildcard);
        Assert.False(s3.Wildcard);
        Assert.Equal(["A"], s3.Names);

        // 4. unsubscribe "A": nothing left.
        await _ads.UnsubscribeAsync(TypeUrls.Cluster, "A");
        await _ads.ExpectNoDeltaAsync();
        var s4 = await SubscriptionAsync(TypeUrls.Cluster, s => s.Names.IsEmpty);
        Assert.False(s4.Wildcard);
        Assert.Empty(s4.Names);

        // Nothing subscribed: a change to B sends nothing.
        _watcher.Upsert(TestResources.Cluster("B", 2));
        await _ads.ExpectNoDeltaAsync();
    }

    [Fact]
    public async Task Delta_StaleNonceWithSubscribe_IsAppliedAndDelivered_X15_P02()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 1), TestResources.Endpoint("x"));
        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a");
        var n1 = await ExpectAndAckAsync(TypeUrls.Endpoint);
        _watcher.Upsert(TestResources.Endpoint("a", 2));
        await ExpectAndAckAsync(TypeUrls.Endpoint);

        var stale = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResponseNonce = n1.Nonce };
        stale.ResourceNamesSubscribe.Add("x");
        await _ads.DeltaRequestAsync(stale);

        var delivered = await _ads.ExpectDeltaAsync(TypeUrls.Endpoint);
        Assert.Equal(["x"], Names(delivered));
        Assert.Equal(["a", "x"], (await SubscriptionAsync(TypeUrls.Endpoint)).Names.Order());
    }

    [Fact]
    public async Task Delta_SubscribedNameThatDoesNotExist_IsRemovedThenDeliveredOnCreation_X32_X24_P08()
    {
        await _ads.SubscribeAsync(TypeUrls.Endpoint, "x");
        var missing = await ExpectAndAckAsync(TypeUrls.Endpoint);
        Assert.Empty(missing.Resources);
        Assert.Equal(["x"], missing.RemovedResources);

        _watcher.Upsert(TestResources.Endpoint("x"));
        var created = await ExpectAndAckAsync(TypeUrls.Endpoint);
        Assert.Equal(["x"], Names(created));
        Assert.Empty(created.RemovedResources);
    }

    [Fact]
    public async Task Delta_ResubscribeUnchangedName_IsSentAgain_X19_P05()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"), TestResources.Endpoint("b"));
        await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");

        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a", "b");
        Assert.Equal(["a", "b"], Names(await ExpectAndAckAsync(TypeUrls.Endpoint)));
    }

    [Fact]
    public async Task Delta_SuccessiveChangesToAHeldSet_CarryOnlyEachChange_X28_X32()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"), TestResources.Cluster("c"));
        await _ads.DeltaRequestAsync(new() { TypeUrl = TypeUrls.Cluster });
        Assert.Equal(["a", "b", "c"], Names(await ExpectAndAckAsync(TypeUrls.Cluster)));

        // Each step moves the whole held set to the next: the response is that move and nothing else.
        _watcher.Upsert(TestResources.Cluster("b", 2));
        var changed = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Equal(["b"], Names(changed));
        Assert.Empty(changed.RemovedResources);

        _watcher.Remove(TypeUrls.Cluster, "c");
        var removed = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Empty(removed.Resources);
        Assert.Equal(["c"], removed.RemovedResources);

        _watcher.Upsert(TestResources.Cluster("a", 3));
        _watcher.Upsert(TestResources.Cluster("d"));
        var both = await _ads.ExpectDeltaAsync(TypeUrls.Cluster);
        var all = new List<string>(Names(both));
        await _ads.DeltaAckAsync(both);
        if (all.Count < 2)
        {
            // The two upserts may land in two responses (one in flight at a time, X-14).
            all.AddRange(Names(await ExpectAndAckAsync(TypeUrls.Cluster)));
        }
        Assert.Equal(["a", "d"], all.Order(StringComparer.Ordinal));

        // "c" came back: the client was told it was removed, so it is new again.
        _watcher.Upsert(TestResources.Cluster("c"));
        Assert.Equal(["c"], Names(await ExpectAndAckAsync(TypeUrls.Cluster)));
        await _ads.ExpectNoDeltaAsync();
    }

    [Fact]
    public async Task Delta_UnsubscribeNeedsNoAnswer_AndDeletionIsSentAsRemoved_X28_X40()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"), TestResources.Endpoint("b"));
        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a", "b");
        await ExpectAndAckAsync(TypeUrls.Endpoint);

        await _ads.UnsubscribeAsync(TypeUrls.Endpoint, "a", "never-subscribed");
        await _ads.ExpectNoDeltaAsync();
        _watcher.Upsert(TestResources.Endpoint("a", 2));
        await _ads.ExpectNoDeltaAsync();

        _watcher.Remove(TypeUrls.Endpoint, "b");
        var removed = await ExpectAndAckAsync(TypeUrls.Endpoint);
        Assert.Empty(removed.Resources);
        Assert.Equal(["b"], removed.RemovedResources);
    }

    [Fact]
    public async Task Delta_UnsubscribeNameWhileWildcard_IsAnsweredAsResourceOrRemoved_X40()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("x"), TestResources.Cluster("y"));
        await _ads.SubscribeAsync(TypeUrls.Cluster, "*", "x", "z");
        var first = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Equal(["x", "y"], Names(first));
        Assert.Equal(["z"], first.RemovedResources);

        // "*" still covers x: x must be sent; z is not covered: it must be reported removed.
        await _ads.UnsubscribeAsync(TypeUrls.Cluster, "x", "z");
        var answer = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Equal(["x"], Names(answer));
        Assert.Equal(["z"], answer.RemovedResources);
    }

    [Fact]
    public async Task Delta_ReconnectWithInitialVersions_SendsOnlyChangedAndRemovesVanished_X38_P07()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("A"), TestResources.Cluster("B"), TestResources.Cluster("C", 1));
        await _ads.DeltaRequestAsync(new() { TypeUrl = TypeUrls.Cluster });
        var held = await ExpectAndAckAsync(TypeUrls.Cluster);
        var versions = held.Resources.ToDictionary(r => r.Name, r => r.Version);
        Assert.Equal(3, versions.Count);
        await _ads.DisposeAsync();

        // While the client is away, B is deleted and C changes.
        _watcher.Remove(TypeUrls.Cluster, "B");
        _watcher.Upsert(TestResources.Cluster("C", 2));

        _ads = _server.Connect();
        var reconnect = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster };
        reconnect.InitialResourceVersions.Add(versions);
        await _ads.DeltaRequestAsync(reconnect);

        var response = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Equal(["C"], Names(response));
        Assert.Equal(["B"], response.RemovedResources);
        await _ads.ExpectNoDeltaAsync();
    }

    [Fact]
    public async Task Delta_NackWithErrorDetail_IsRecordedAndNotResent_ThenNewVersionGoesOut_X10()
    {
        using var metrics = new MetricRecorder(_server.Services.GetRequiredService<XdsMetrics>().Meter);
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 1));
        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a");
        var v1 = await _ads.ExpectDeltaAsync(TypeUrls.Endpoint);

        await _ads.DeltaNackAsync(v1, "duplicate endpoint address");
        await _ads.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(300));
        var watch = await _watcher.LatestWatchAsync();
        Assert.Equal([(TypeUrls.Endpoint, v1.SystemVersionInfo, "duplicate endpoint address")], watch.Nacks);
        Assert.Equal(1, metrics.Total("xds_rejects", "eds"));

        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 1));
        await _ads.ExpectNoDeltaAsync();

        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 2));
        var v2 = await ExpectAndAckAsync(TypeUrls.Endpoint);
        Assert.Equal(TestResources.Endpoint("a", 2).Version, Assert.Single(v2.Resources).Version);
    }

    [Fact]
    public async Task Delta_ServiceThatLoadsBetweenTheClusterAndListenerEvaluations_StillSendsClustersFirst_X33()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("a"));
        await SubscribeAndAckAsync(TypeUrls.Cluster, "*");
        await SubscribeAndAckAsync(TypeUrls.Listener, "*");

        // The scope gains service b, still loading (its cluster is not in the set yet); it loads
        // between the stream's cluster and listener evaluations and says so a moment later.
        _watcher.CompleteClustersAfterNextIncompleteResolve(
            b => b.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"))
                .Set(TypeUrls.Listener, TestResources.Listener("a"), TestResources.Listener("b")),
            TimeSpan.FromMilliseconds(200));
        _watcher.Batch(b => b.SetComplete(TypeUrls.Cluster, false), TypeUrls.Cluster, TypeUrls.Listener);

        var cds = await ExpectAndAckAsync(TypeUrls.Cluster);
        Assert.Equal(["b"], cds.Resources.Select(r => r.Name));
        var lds = await ExpectAndAckAsync(TypeUrls.Listener);
        Assert.Equal(["b"], lds.Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task Delta_SeveralTypesChangeAtOnce_ArePushedCdsEdsLdsRds_X33()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"));
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("l"));
        _watcher.Set(TypeUrls.Route, TestResources.Route("r"));
        await SubscribeAndAckAsync(TypeUrls.Cluster, "*");
        await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");
        await SubscribeAndAckAsync(TypeUrls.Listener, "*");
        await SubscribeAndAckAsync(TypeUrls.Route, "r");

        // Notifications arrive in the worst order, and the loop handles the route change before the
        // others arrive; the wire order must still be CDS, EDS, LDS, RDS.
        var watch = await _watcher.LatestWatchAsync();
        var routeHandled = watch.NextResolveAsync(TypeUrls.Route);
        _watcher.Batch(
            b => b.Set(TypeUrls.Cluster, TestResources.Cluster("a", 2))
                .Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 2))
                .Set(TypeUrls.Listener, TestResources.Listener("l", 2))
                .Set(TypeUrls.Route, TestResources.Route("r", 2)),
            TypeUrls.Route);
        await routeHandled.WaitAsync(AdsTestClient.DefaultTimeout);
        _watcher.Raise(TypeUrls.Listener, TypeUrls.Endpoint, TypeUrls.Cluster);

        foreach (var type in TypeUrls.PushOrder)
        {
            await _ads.ExpectDeltaAsync(type);
        }
    }

    [Fact]
    public async Task Delta_TenVersionsWhileUnacked_OnlyLatestIsSentAfterAck_X14()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 0));
        await _ads.SubscribeAsync(TypeUrls.Endpoint, "a");
        var first = await _ads.ExpectDeltaAsync(TypeUrls.Endpoint);

        for (var i = 1; i <= 10; i++)
        {
            _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", i));
        }

        await _ads.ExpectNoDeltaAsync();
        await _ads.DeltaAckAsync(first);
        var latest = await ExpectAndAckAsync(TypeUrls.Endpoint);
        Assert.Equal(TestResources.Endpoint("a", 10).Version, Assert.Single(latest.Resources).Version);
        await _ads.ExpectNoDeltaAsync();
    }
}
