using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Tests.Sotw;

/// <summary>State-of-the-world ADS over real sockets, rule by rule (XDS-PROTOCOL.md part 1, P-tests).</summary>
[Trait("Category", "Functional")]
public sealed class SotwStreamHandlerTests : IAsyncLifetime
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

    private static string VersionOf(params XdsResource[] resources) =>
        ContentHash.OfVersions(resources.Select(r => KeyValuePair.Create(r.Name, r.Version)));

    private static List<string> Names(DiscoveryResponse response, Func<Google.Protobuf.ByteString, string> name) =>
        [.. response.Resources.Select(r => name(r.Value)).Order(StringComparer.Ordinal)];

    private static List<string> ClusterNames(DiscoveryResponse response) => Names(response, b => Cluster.Parser.ParseFrom(b).Name);

    private static List<string> EndpointNames(DiscoveryResponse response) =>
        Names(response, b => Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(b).ClusterName);

    private static List<string> ListenerNames(DiscoveryResponse response) =>
        Names(response, b => Envoy.Config.Listener.V3.Listener.Parser.ParseFrom(b).Name);

    private async Task<DiscoveryResponse> SubscribeAndAckAsync(string typeUrl, params string[] names)
    {
        await _ads.RequestAsync(typeUrl, names);
        var response = await _ads.ExpectResponseAsync(typeUrl);
        await _ads.AckAsync(response);
        return response;
    }

    [Fact]
    public async Task Sotw_WildcardCds_IsAnsweredWithVersionAndNonceAndAckIsNotAnswered_X06_X07()
    {
        var a = TestResources.Cluster("a");
        var b = TestResources.Cluster("b");
        _watcher.Set(TypeUrls.Cluster, a, b);

        await _ads.RequestAsync(TypeUrls.Cluster);
        var response = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(VersionOf(a, b), response.VersionInfo);
        Assert.NotEmpty(response.Nonce);
        Assert.Equal(["a", "b"], ClusterNames(response));
        Assert.All(response.Resources, r => Assert.Equal(TypeUrls.Cluster, r.TypeUrl));
        Assert.Equal(a.Body.ToArray(), response.Resources[0].Value.ToByteArray());

        await _ads.AckAsync(response);
        await _ads.ExpectNoResponseAsync();
        var watch = await _watcher.LatestWatchAsync();
        Assert.Equal([(TypeUrls.Cluster, response.VersionInfo)], watch.Acks);
        Assert.True(watch.SubscriptionOf(TypeUrls.Cluster)!.Wildcard);
    }

    [Fact]
    public async Task Sotw_NackWithErrorDetail_IsRecordedAndNotResent_ThenNewVersionGoesOut_X10_P01()
    {
        using var metrics = new MetricRecorder(_server.Services.GetRequiredService<XdsMetrics>().Meter);
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 1));
        await _ads.RequestAsync(TypeUrls.Cluster);
        var v1 = await _ads.ExpectResponseAsync(TypeUrls.Cluster);

        await _ads.NackAsync(v1, "cluster a: unknown lb policy");
        await _ads.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));
        var watch = await _watcher.LatestWatchAsync();
        Assert.Equal([(TypeUrls.Cluster, v1.VersionInfo, "cluster a: unknown lb policy")], watch.Nacks);
        Assert.Equal(1, metrics.Total("xds_rejects", "cds"));
        Assert.Contains(_server.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("unknown lb policy", StringComparison.Ordinal));

        // Republishing the rejected content is not a new version.
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 1));
        await _ads.ExpectNoResponseAsync();

        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 2));
        var v2 = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.NotEqual(v1.VersionInfo, v2.VersionInfo);
        Assert.NotEqual(v1.Nonce, v2.Nonce);
        await _ads.AckAsync(v2);
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_StaleNonce_IsIgnored_X13_P02()
    {
        using var metrics = new MetricRecorder(_server.Services.GetRequiredService<XdsMetrics>().Meter);
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 1), TestResources.Endpoint("b"));
        var n1 = await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a", 2), TestResources.Endpoint("b"));
        var n2 = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);

        await _ads.RequestAsync(TypeUrls.Endpoint, ["a", "b"], n1.VersionInfo, n1.Nonce);
        await _ads.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1, metrics.Total("xds_expired_nonce", "eds"));

        await _ads.AckAsync(n2, ["a"]);
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_LegacyWildcardFourSteps_MatchTheSpec_X18_P03()
    {
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("A"), TestResources.Listener("B"));
        var watch = _watcher;

        // 1. resource_names unset: subscription to "*".
        await _ads.RequestAsync(TypeUrls.Listener);
        var r1 = await _ads.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal(["A", "B"], ListenerNames(r1));
        Assert.Equal(Subscription.WildcardOnly, (await watch.LatestWatchAsync()).SubscriptionOf(TypeUrls.Listener));

        // 2. ["*", "A"]: keeps "*" and adds "A".
        await _ads.RequestAsync(TypeUrls.Listener, ["*", "A"], r1.VersionInfo, r1.Nonce);
        var r2 = await _ads.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal(["A", "B"], ListenerNames(r2));
        var s2 = (await watch.LatestWatchAsync()).SubscriptionOf(TypeUrls.Listener)!;
        Assert.True(s2.Wildcard);
        Assert.Equal(["A"], s2.Names);

        // 3. ["A"]: drops "*", keeps "A".
        await _ads.RequestAsync(TypeUrls.Listener, ["A"], r2.VersionInfo, r2.Nonce);
        var r3 = await _ads.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal(["A"], ListenerNames(r3));
        var s3 = (await watch.LatestWatchAsync()).SubscriptionOf(TypeUrls.Listener)!;
        Assert.False(s3.Wildcard);
        Assert.Equal(["A"], s3.Names);

        // 4. unset again: now unsubscribes from everything.
        await _ads.RequestAsync(TypeUrls.Listener, [], r3.VersionInfo, r3.Nonce);
        var r4 = await _ads.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Empty(r4.Resources);
        var s4 = (await watch.LatestWatchAsync()).SubscriptionOf(TypeUrls.Listener)!;
        Assert.False(s4.Wildcard);
        Assert.Empty(s4.Names);
    }

    [Fact]
    public async Task Sotw_NamedEds_SendsOnlyRequestedNamesAndResendsOnNewlyRequested_X19_X22_P05()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"), TestResources.Endpoint("b"), TestResources.Endpoint("c"));
        var first = await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");
        Assert.Equal(["a"], EndpointNames(first));
        await _ads.ExpectNoResponseAsync();

        await _ads.RequestAsync(TypeUrls.Endpoint, ["a", "b"], first.VersionInfo, first.Nonce);
        var second = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(["a", "b"], EndpointNames(second));
        await _ads.AckAsync(second);
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_OneOfThreeEdsResourcesChanges_ResponseCarriesOnlyThatOne_X26()
    {
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"), TestResources.Endpoint("b"), TestResources.Endpoint("c"));
        var first = await SubscribeAndAckAsync(TypeUrls.Endpoint, "a", "b", "c");
        Assert.Equal(["a", "b", "c"], EndpointNames(first));

        _watcher.Upsert(TestResources.Endpoint("b", revision: 2));

        // only LDS/CDS must carry the full set; an EDS response may carry just what changed.
        var update = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(["b"], EndpointNames(update));
        Assert.NotEqual(first.VersionInfo, update.VersionInfo);
        await _ads.AckAsync(update);
        await _ads.ExpectNoResponseAsync();

        // A newly requested name still gets the whole requested set.
        await _ads.RequestAsync(TypeUrls.Endpoint, ["a", "b", "c", "d"], update.VersionInfo, update.Nonce);
        var widened = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(["a", "b", "c"], EndpointNames(widened));
    }

    [Fact]
    public async Task Sotw_RequestedRouteThatAppearsLater_IsSentWithoutNewRequest_X24_P08()
    {
        var first = await SubscribeAndAckAsync(TypeUrls.Route, "8080");
        Assert.Empty(first.Resources);

        _watcher.Set(TypeUrls.Route, TestResources.Route("8080"));
        var created = await _ads.ExpectResponseAsync(TypeUrls.Route);
        Assert.Single(created.Resources);
    }

    [Fact]
    public async Task Sotw_EdsRequestAfterCdsPush_IsAnsweredEvenThoughItLooksLikeAck_X34()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 1));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);
        var eds = await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");

        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 2));
        var cds = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        await _ads.AckAsync(cds);

        // Envoy re-requests EDS for the warming cluster with the same names and nonce.
        await _ads.RequestAsync(TypeUrls.Endpoint, ["a"], eds.VersionInfo, eds.Nonce);
        var again = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(eds.VersionInfo, again.VersionInfo);
        Assert.NotEqual(eds.Nonce, again.Nonce);
        await _ads.AckAsync(again);
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_SeveralTypesChangeAtOnce_ArePushedCdsEdsLdsRds_X33()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"));
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("l"));
        _watcher.Set(TypeUrls.Route, TestResources.Route("r"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);
        await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");
        await SubscribeAndAckAsync(TypeUrls.Listener);
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
            await _ads.ExpectResponseAsync(type);
        }
    }

    [Fact]
    public async Task Sotw_IncompleteClusterSet_IsNotSentUntilComplete_X25()
    {
        _watcher.SetComplete(TypeUrls.Cluster, false);
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));

        await _ads.RequestAsync(TypeUrls.Cluster);
        await _ads.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));

        _watcher.Upsert(TestResources.Cluster("b"));
        await _ads.ExpectNoResponseAsync();

        _watcher.SetComplete(TypeUrls.Cluster, true);
        var response = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(["a", "b"], ClusterNames(response));
    }

    // Regression: a SotW proxy reconnecting while a service was still loading got its EDS before
    // the held CDS, then the whole EDS set again after the CDS.
    [Fact]
    public async Task Sotw_FirstEdsOnAStream_WaitsForTheHeldCds_ThenBothGoOutOnceInOrder_X33_X25()
    {
        _watcher.SetComplete(TypeUrls.Cluster, false);
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"), TestResources.Endpoint("b"));

        await _ads.RequestAsync(TypeUrls.Cluster);
        await _ads.RequestAsync(TypeUrls.Endpoint, ["a", "b"]);
        await _ads.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));

        _watcher.SetComplete(TypeUrls.Cluster, true);
        var cds = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(["a", "b"], ClusterNames(cds));
        var eds = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(["a", "b"], EndpointNames(eds));
        await _ads.AckAsync(cds);
        await _ads.AckAsync(eds);
        await _ads.ExpectNoResponseAsync();
    }

    /// <summary>The stream holds (ACKed) cluster a and listener a, both subscribed by wildcard.</summary>
    private async Task HoldClusterAndListenerAAsync()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("a"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);
        await SubscribeAndAckAsync(TypeUrls.Listener);
    }

    /// <summary>X-33: the next responses are clusters a and b, then the listeners a and b.</summary>
    private async Task ExpectClustersThenListenersABAsync()
    {
        var cds = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(["a", "b"], ClusterNames(cds));
        var lds = await _ads.ExpectResponseAsync(TypeUrls.Listener);
        Assert.Equal(2, lds.Resources.Count);
    }

    [Fact]
    public async Task Sotw_HeldCdsThatCompletes_GoesOutBeforeTheListenerThatWokeTheStream_X33_X25()
    {
        await HoldClusterAndListenerAAsync();

        // A new service: its cluster set is held while the service loads...
        _watcher.Batch(b => b.SetComplete(TypeUrls.Cluster, false).Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b")), TypeUrls.Cluster);
        await _ads.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));

        // ...it loads, and the stream is woken for the new listener before it is woken for the
        // clusters again (two notification threads): the clusters still go out first.
        _watcher.Batch(b => b.SetComplete(TypeUrls.Cluster, true).Set(TypeUrls.Listener, TestResources.Listener("a"), TestResources.Listener("b")), TypeUrls.Listener);
        await ExpectClustersThenListenersABAsync();
    }

    [Fact]
    public async Task Sotw_ServiceThatLoadsBetweenTheClusterAndListenerEvaluations_StillSendsClustersFirst_X33()
    {
        await HoldClusterAndListenerAAsync();

        // The scope gains service b: clusters and listeners both change, and b's cluster is held
        // while b loads. b finishes loading right after the clusters were evaluated and before the
        // listeners are, and its notification reaches the stream only a moment later.
        _watcher.CompleteClustersAfterNextIncompleteResolve(
            b => b.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"))
                .Set(TypeUrls.Listener, TestResources.Listener("a"), TestResources.Listener("b")),
            TimeSpan.FromMilliseconds(200));
        _watcher.Batch(b => b.SetComplete(TypeUrls.Cluster, false).Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b")), TypeUrls.Cluster, TypeUrls.Listener);

        await ExpectClustersThenListenersABAsync();
    }

    [Fact]
    public async Task Sotw_EdsOnceCdsWasSent_IsNotHeldByALaterIncompleteCds_X33()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);
        await SubscribeAndAckAsync(TypeUrls.Endpoint, "a");

        // A new cluster's service is loading (CDS held) while a's endpoints change: a's go out.
        _watcher.SetComplete(TypeUrls.Cluster, false);
        _watcher.Upsert(TestResources.Cluster("b"), TestResources.Endpoint("a", 2));
        var eds = await _ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.Equal(VersionOf(TestResources.Endpoint("a", 2)), eds.VersionInfo);
        await _ads.AckAsync(eds);
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_OneClusterOfManyChanges_ResponseCarriesCompleteSet_X26()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"), TestResources.Cluster("c"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);

        _watcher.Upsert(TestResources.Cluster("b", 2));
        var response = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(["a", "b", "c"], ClusterNames(response));
    }

    [Fact]
    public async Task Sotw_IdenticalContentRepublished_IsNotResent_X23()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        await SubscribeAndAckAsync(TypeUrls.Cluster);

        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        await _ads.ExpectNoResponseAsync();
    }

    [Fact]
    public async Task Sotw_TenVersionsWhileUnacked_OnlyLatestIsSentAfterAck_X14()
    {
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", 0));
        await _ads.RequestAsync(TypeUrls.Cluster);
        var first = await _ads.ExpectResponseAsync(TypeUrls.Cluster);

        for (var i = 1; i <= 10; i++)
        {
            _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", i));
        }

        await _ads.ExpectNoResponseAsync();
        await _ads.AckAsync(first);
        var latest = await _ads.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(VersionOf(TestResources.Cluster("a", 10)), latest.VersionInfo);
        Assert.Equal("r10", Cluster.Parser.ParseFrom(latest.Resources[0].Value).AltStatName);
        await _ads.AckAsync(latest);
        await _ads.ExpectNoResponseAsync();
    }
}
