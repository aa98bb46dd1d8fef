using System.Collections.Concurrent;
using System.Text.Json;
using Grpc.Core;
using Envoy.Config.Route.V3;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Lazy xDS (issue 13) through the whole stack (manifest ingest → grains → silo catalog → gateway →
/// ADS): a Slime ServiceFence narrows its Service's sidecars to their fence and the lazy egress.
/// </summary>
/// <remarks>
/// The mesh: <c>shop</c> (web, cart, pay; cart's VirtualService sends 10% to pay), <c>bank</c>
/// (ledger), <c>mesh-system</c> (mesh-lazy-egress). ServiceFence <c>web</c>: cart, stable.
/// So web's sidecars hold cart, pay (followed through cart's VirtualService) and the egress;
/// cart's sidecar (not fenced) holds everything.
/// </remarks>
[Trait("Category", "Functional")]
public sealed class LazyFenceTests : IAsyncLifetime
{
    private const string Egress = "mesh-lazy-egress.mesh-system.svc.cluster.local";
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-lazy-").FullName;
    private readonly List<SimulatedProxy> _proxies = [];
    private readonly ConcurrentDictionary<string, byte[]> _route80 = new();
    private InProcessMesh _mesh = null!;
    private SimulatedProxy _webDelta = null!, _webSotw = null!, _cart = null!, _grpc = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh);
        await File.WriteAllTextAsync(Path.Combine(_dir, "fence.yaml"), Fence("cart.shop.svc.cluster.local: {stable: {}}"));
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
    public async Task FencedSidecars_HoldTheirFenceFollowedDestinationsAndTheEgress_AndEveryOtherCallGoesToTheEgress()
    {
        await ConnectAllAsync();

        string[] fenced = [Cluster("cart", "shop"), Cluster("pay", "shop"), EgressCluster];
        foreach (var p in new[] { _webDelta, _webSotw })
        {
            await p.WaitUntilAsync(v => Outbound(v).SequenceEqual(fenced.Order(StringComparer.Ordinal)), TimeSpan.FromSeconds(30));
            var route = await RouteEndingInAsync(p, "lazy_egress");
            Assert.Equal("lazy_egress", route.VirtualHosts[^1].Name);
            Assert.Equal(["*"], route.VirtualHosts[^1].Domains);
            Assert.Equal(EgressCluster, route.VirtualHosts[^1].Routes[0].Route_.Cluster);
            Assert.DoesNotContain(route.VirtualHosts, v => v.Name.StartsWith(Host("ledger", "bank"), StringComparison.Ordinal));
            Assert.DoesNotContain(EndpointNames(p), n => n.Contains("ledger", StringComparison.Ordinal));
        }

        // Not fenced: cart's sidecar holds every service and Istio's catch-all; the proxyless client
        // (never fenced) resolves what it dials.
        await _cart.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("web", "shop"), Cluster("ledger", "bank"), EgressCluster]), TimeSpan.FromSeconds(30));
        await RouteEndingInAsync(_cart, "allow_any");
        await _grpc.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));

        var scopes = await _mesh.ScopeKeysAsync();
        Assert.Equal("sidecar/shop/(none)/fence/web", scopes[_webDelta.Id]);
        Assert.Equal("sidecar/shop/(none)/fence/web", scopes[_webSotw.Id]);
        Assert.Equal("sidecar/shop/(none)", scopes[_cart.Id]);
        Assert.Equal("proxyless/shop/(none)", scopes[_grpc.Id]);
    }

    [Fact]
    public async Task AHostAddedToTheFence_ReachesOnlyTheFencedSidecars_InOneScopeBuild()
    {
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster), TimeSpan.FromSeconds(30));
        await _mesh.SettledAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();

        await File.WriteAllTextAsync(Path.Combine(_dir, "fence.yaml"), Fence("cart.shop.svc.cluster.local: {stable: {}}\n    bank/*: {}"));
        foreach (var p in new[] { _webDelta, _webSotw })
        {
            await p.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")) && v.Holds(TypeUrls.Endpoint, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        }

        Assert.Equal(1, await _mesh.SettledBuildsAsync(before));
        foreach (var p in new[] { _cart, _grpc })
        {
            Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is not fenced and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
        }
    }

    [Fact]
    public async Task AHostLearnedThroughTheAdminApi_ReachesOnlyTheFencedSidecars_AndBadReportsChangeNothing()
    {
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster), TimeSpan.FromSeconds(30));
        await _mesh.SettledAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();

        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        var bad = await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative), Json("""{"hosts": ["ok.shop.svc.cluster.local", "*.bank.svc.cluster.local", "bank/*"]}"""));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        var reason = await bad.Content.ReadAsStringAsync();
        Assert.Contains("hosts[1]: host '*.bank.svc.cluster.local': wildcards are not allowed", reason, StringComparison.Ordinal);
        Assert.Contains("hosts[2]: host 'bank/*'", reason, StringComparison.Ordinal);
        var notFenced = await http.PostAsync(new Uri("/api/v1/fences/shop/cart/hosts", UriKind.Relative), Json("""{"hosts": ["ledger.bank.svc.cluster.local"]}"""));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, notFenced.StatusCode);
        Assert.Contains("no ServiceFence is in force for shop/cart", await notFenced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await _mesh.SettledBuildsAsync(before));

        var learned = await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative), Json("""{"hosts": ["ledger.bank.svc.cluster.local"]}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, learned.StatusCode);
        Assert.Contains("\"added\":[\"ledger.bank.svc.cluster.local\"]", await learned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var p in new[] { _webDelta, _webSotw })
        {
            await p.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")) && v.Holds(TypeUrls.Endpoint, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        }
        Assert.Equal(1, await _mesh.SettledBuildsAsync(before));
        foreach (var p in new[] { _cart, _grpc })
        {
            Assert.True(counts[p.Id] == p.Counters().TotalResponses, $"{p.Id} is not fenced and must receive nothing; it got {p.Counters().TotalResponses - counts[p.Id]} responses");
        }

        // Reported again: nothing new, no rebuild; /debug/fencez shows it with its source.
        var again = await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative), Json("""{"hosts": ["ledger.bank.svc.cluster.local"]}"""));
        Assert.Contains("\"added\":[]", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await _mesh.SettledBuildsAsync(before));
        using var fencez = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?fence=shop/web"));
        var entry = Assert.Single(fencez.RootElement.GetProperty("learned").EnumerateArray());
        Assert.Equal("ledger.bank.svc.cluster.local", entry.GetProperty("host").GetString());
        Assert.Equal("admin", entry.GetProperty("source").GetString());
        Assert.Matches(@"^mesh_fence_learn_total\{[^}]*source=""admin""[^}]*\} 1$", (await _mesh.GetAsync("/metrics")).Split('\n').First(l => l.StartsWith("mesh_fence_learn_total", StringComparison.Ordinal)));
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task OnDemandCds_AClusterOutsideTheFence_IsServedToTheAskingStream_AndLearnedForTheWholeFence()
    {
        await ConnectAllAsync();
        await _webSotw.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster), TimeSpan.FromSeconds(30));
        var ledger = Cluster("ledger", "bank");

        // An Envoy with the on_demand filter and odcds over ADS: wildcard CDS plus the name it needs.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_mesh.XdsAddress);
        var client = new Envoy.Service.Discovery.V3.AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = client.DeltaAggregatedResources(cancellationToken: stop.Token);
        await call.RequestStream.WriteAsync(new Envoy.Service.Discovery.V3.DeltaDiscoveryRequest
        {
            Node = SimulatedProxyOptions.SidecarNode("web-5c8d9-10-9-0-9", "shop", "10.9.0.9", new Dictionary<string, string> { ["app"] = "web" }),
            TypeUrl = TypeUrls.Cluster,
            ResourceNamesSubscribe = { "*", ledger },
        });
        var served = false;
        await foreach (var response in call.ResponseStream.ReadAllAsync(stop.Token))
        {
            await call.RequestStream.WriteAsync(new Envoy.Service.Discovery.V3.DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce });
            if (response.Resources.Any(r => r.Name == ledger))
            {
                served = true;
                break;
            }
        }
        Assert.True(served, "the on-demand cluster was never sent");

        // Learned for the fence: the other sidecars under it get it too; the unfenced one got nothing new.
        await _webSotw.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, ledger), TimeSpan.FromSeconds(30));
        using var fencez = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?fence=shop/web"));
        var entry = Assert.Single(fencez.RootElement.GetProperty("learned").EnumerateArray());
        Assert.Equal(Host("ledger", "bank"), entry.GetProperty("host").GetString());
        Assert.Equal("odcds", entry.GetProperty("source").GetString());
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task LearnedHosts_NotCalledForTwoQuietPeriods_Expire_WhileOnesStillCalledStay()
    {
        // Its own mesh: a 2 s quiet period (Lazy:QuietPeriod), so a learned host expires within 4 s.
        await _mesh.DisposeAsync();
        _mesh = await InProcessMesh.StartAsync(_dir, "--Lazy:QuietPeriod=00:00:02");
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster), TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        async Task ReportAsync(string hosts) => Assert.True((await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative), Json($$"""{"hosts": [{{hosts}}]}"""))).IsSuccessStatusCode);
        await ReportAsync("\"ledger.bank.svc.cluster.local\", \"web.shop.svc.cluster.local\"");
        await _webDelta.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("ledger", "bank"), Cluster("web", "shop")]), TimeSpan.FromSeconds(30));

        // web keeps being called (reported every 0.5 s); ledger is not: it goes EXPIREWAIT, then away.
        var sawExpireWait = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_webDelta.View().Holds(TypeUrls.Cluster, Cluster("ledger", "bank")))
        {
            Assert.True(DateTime.UtcNow < deadline, "ledger was never expired");
            await ReportAsync("\"web.shop.svc.cluster.local\"");
            sawExpireWait |= (await _mesh.GetAsync("/debug/fencez?fence=shop/web")).Contains("\"host\":\"ledger.bank.svc.cluster.local\",\"source\":\"admin\",\"status\":\"EXPIREWAIT\"", StringComparison.Ordinal);
            await Task.Delay(500);
        }

        Assert.True(sawExpireWait, "ledger should have been EXPIREWAIT (still served) before it expired");
        Assert.True(_webDelta.View().Holds(TypeUrls.Cluster, Cluster("web", "shop")), "web, still called, must stay");
        await _webSotw.WaitUntilAsync(v => !v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")) && v.Holds(TypeUrls.Cluster, Cluster("web", "shop")), TimeSpan.FromSeconds(15));
        using var fencez = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?fence=shop/web"));
        Assert.Equal(["web.shop.svc.cluster.local"], fencez.RootElement.GetProperty("learned").EnumerateArray().Select(e => e.GetProperty("host").GetString()));
        Assert.Contains("mesh_fence_expired_total 1", await _mesh.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EgressAccessLog_TeachesTheFenceTheHostsItsSidecarsCalled_AndSkipsBadEntriesCounted()
    {
        await ConnectAllAsync();
        var route = await RouteEndingInAsync(_webDelta, "lazy_egress");
        // The fallback marks each request with its fence, overwriting what the application sent.
        var mark = route.VirtualHosts[^1].Routes[0].RequestHeadersToAdd[0];
        Assert.Equal(("x-mesh-lazy-source", "shop/web"), (mark.Header.Key, mark.Header.Value));
        Assert.Equal(Envoy.Config.Core.V3.HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd, mark.AppendAction);

        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_mesh.XdsAddress);
        var client = new Envoy.Service.Accesslog.V3.AccessLogService.AccessLogServiceClient(channel);

        // A stream that does not say who it is: refused, nothing learned.
        using (var anonymous = client.StreamAccessLogs())
        {
            await anonymous.RequestStream.WriteAsync(new Envoy.Service.Accesslog.V3.StreamAccessLogsMessage { HttpLogs = Logs(("shop/web", "ledger.bank:80")) });
            await anonymous.RequestStream.CompleteAsync();
            var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("access log stream: identifier.node", refused.Status.Detail, StringComparison.Ordinal);
        }

        // The cluster-mode egress (mesh-system): one good entry, its repeat, and three bad ones.
        using (var egress = client.StreamAccessLogs())
        {
            await egress.RequestStream.WriteAsync(new Envoy.Service.Accesslog.V3.StreamAccessLogsMessage
            {
                Identifier = new() { Node = new Envoy.Config.Core.V3.Node { Id = "router~10.9.9.9~mesh-lazy-egress-7d9f-x.mesh-system~mesh-system.svc.cluster.local" }, LogName = "lazy" },
                HttpLogs = Logs(("shop/web", "ledger.bank:80"), ("shop/web", "ledger.bank.svc.cluster.local"), (null, "pay.shop"), ("shop/web", "10.96.2.1:80"), ("shop", "pay.shop")),
            });
            await egress.RequestStream.CompleteAsync();
            await egress.ResponseAsync;
        }

        foreach (var p in new[] { _webDelta, _webSotw })
        {
            await p.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")) && v.Holds(TypeUrls.Endpoint, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        }
        using var fencez = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?fence=shop/web"));
        var entry = Assert.Single(fencez.RootElement.GetProperty("learned").EnumerateArray());
        Assert.Equal(("ledger.bank.svc.cluster.local", "accesslog"), (entry.GetProperty("host").GetString(), entry.GetProperty("source").GetString()));
        var metrics = await _mesh.GetAsync("/metrics");
        foreach (var (result, count) in new[] { ("reported", 1), ("repeat", 1), ("no-source", 1), ("ip-authority", 1), ("bad-source", 1), ("unknown-peer", 1) })
        {
            Assert.Contains($"mesh_fence_fallback_reports_total{{result=\"{result}\"}} {count}", metrics, StringComparison.Ordinal);
        }
        // Both of web's sidecars ACKed the learned cluster on this gateway: two learn → push observations.
        await Eventually.UntilAsync("two learn → push observations", TimeSpan.FromSeconds(15),
            () => _mesh.GetAsync("/metrics"), m => m.Contains("mesh_fence_learn_to_push_seconds_count{source=\"accesslog\"} 2", StringComparison.Ordinal));
        Assert.Contains("mesh_fence_hosts{state=\"ACTIVE\"} 1", await _mesh.GetAsync("/metrics"), StringComparison.Ordinal);

        // A flood from one fence: its burst is reported, the rest counted and dropped; nothing else changes.
        using (var flood = client.StreamAccessLogs())
        {
            await flood.RequestStream.WriteAsync(new Envoy.Service.Accesslog.V3.StreamAccessLogsMessage
            {
                Identifier = new() { Node = new Envoy.Config.Core.V3.Node { Id = "router~10.9.9.9~mesh-lazy-egress-7d9f-x.mesh-system~mesh-system.svc.cluster.local" }, LogName = "lazy" },
                HttpLogs = Logs([.. Enumerable.Range(0, 260).Select(i => ((string?)"shop/cart", $"h{i}.bank.svc.cluster.local"))]),
            });
            await flood.RequestStream.CompleteAsync();
            await flood.ResponseAsync;
        }
        metrics = await _mesh.GetAsync("/metrics");
        var limited = System.Text.RegularExpressions.Regex.Match(metrics, "mesh_fence_fallback_reports_total\\{result=\"rate-limited\"\\} (\\d+)");
        Assert.True(limited.Success, "no rate-limited count");
        Assert.InRange(int.Parse(limited.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 50, 60); // 260 - burst 200 (+ a few refilled)
        Assert.False(_webDelta.View().Holds(TypeUrls.Cluster, "outbound|80||h1.bank.svc.cluster.local"));
    }

    private static Envoy.Service.Accesslog.V3.StreamAccessLogsMessage.Types.HTTPAccessLogEntries Logs(params (string? Source, string Authority)[] entries)
    {
        var logs = new Envoy.Service.Accesslog.V3.StreamAccessLogsMessage.Types.HTTPAccessLogEntries();
        foreach (var (source, authority) in entries)
        {
            var request = new Envoy.Data.Accesslog.V3.HTTPRequestProperties { Authority = authority, Path = "/" };
            if (source is not null)
            {
                request.RequestHeaders["x-mesh-lazy-source"] = source;
            }
            logs.LogEntry.Add(new Envoy.Data.Accesslog.V3.HTTPAccessLogEntry { Request = request });
        }
        return logs;
    }

    [Fact]
    public async Task ADeadlineHost_LeavesTheFencedSidecarsWhenItsTimePasses_WithoutAnyOtherChange()
    {
        var expire = DateTimeOffset.UtcNow.AddSeconds(6).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(_dir, "fence.yaml"), Fence($"cart.shop.svc.cluster.local: {{stable: {{}}}}\n    ledger.bank.svc.cluster.local: {{deadline: {{expire: \"{expire}\"}}}}"));
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("ledger", "bank"), Cluster("cart", "shop")]), TimeSpan.FromSeconds(30));

        await _webDelta.WaitUntilAsync(v => !v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")) && v.Holds(TypeUrls.Cluster, Cluster("cart", "shop")), TimeSpan.FromSeconds(30));
        await _webSotw.WaitUntilAsync(v => !v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        Assert.True(DateTimeOffset.UtcNow >= DateTimeOffset.Parse(expire, System.Globalization.CultureInfo.InvariantCulture), "the host left before its deadline");
    }

    [Fact]
    public async Task DisablingTheFence_MovesItsSidecarsBackToTheNamespaceScope()
    {
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster) && !v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));

        await File.WriteAllTextAsync(Path.Combine(_dir, "fence.yaml"), Fence("cart.shop.svc.cluster.local: {stable: {}}", enable: false));

        await _webDelta.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("ledger", "bank"), Cluster("web", "shop")]), TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync("web's sidecar to be served by shop's namespace scope", TimeSpan.FromSeconds(15),
            async () => (await _mesh.ScopeKeysAsync())[_webDelta.Id], scope => scope == "sidecar/shop/(none)");
        await RouteEndingInAsync(_webDelta, "allow_any");
    }

    [Fact]
    public async Task ServiceLabelledFenced_IsLazyWithoutAFenceObject()
    {
        await ConnectAllAsync();
        await _cart.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));

        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh.Replace("name: cart\n  namespace: shop\n", "name: cart\n  namespace: shop\n  labels: {slime.io/serviceFenced: \"true\"}\n", StringComparison.Ordinal));

        // Slime's implied fence holds nothing static: the egress, and nothing else.
        await _cart.WaitUntilAsync(v => Outbound(v).SequenceEqual([EgressCluster]), TimeSpan.FromSeconds(30));
        Assert.Equal("sidecar/shop/(none)/fence/cart", (await _mesh.ScopeKeysAsync())[_cart.Id]);
    }

    [Fact]
    public async Task TheLazyEgress_IsServedTheFullConfigOfItsNamespace_WithItsAccessLogToMesh_AndFollowsNewServices()
    {
        var labels = new Struct();
        labels.Fields["app"] = Value.ForString("mesh-lazy-egress");
        var node = new Envoy.Config.Core.V3.Node { Id = "router~10.9.9.10~mesh-lazy-egress-7d9f-x.mesh-system~mesh-system.svc.cluster.local", Metadata = new Struct() };
        node.Metadata.Fields["NAMESPACE"] = Value.ForString("mesh-system");
        node.Metadata.Fields["LABELS"] = Value.ForStruct(labels);
        byte[]? listener = null;
        var egress = Track(new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = node,
            Mode = ProxyMode.Delta,
            Gateways = [_mesh.XdsAddress],
            OnUpdate = u =>
            {
                if (u.TypeUrl == TypeUrls.Listener && !u.Removed)
                {
                    listener = u.Body.ToArray();
                }
            },
        }));
        await egress.StartAsync();

        string[] all = [Cluster("web", "shop"), Cluster("cart", "shop"), Cluster("pay", "shop"), Cluster("ledger", "bank"), ResourceNames.LazyOriginalDstCluster];
        await egress.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, all) && v.HoldsAll(TypeUrls.Endpoint, all[..4]) && v.Holds(TypeUrls.Route, "80"), TimeSpan.FromSeconds(30));
        Assert.Equal("router/mesh-system/(lazy-egress)", (await _mesh.ScopeKeysAsync())[egress.Id]);
        var bound = Envoy.Config.Listener.V3.Listener.Parser.ParseFrom(listener);
        Assert.Equal(("0.0.0.0_8080", true), (bound.Name, bound.BindToPort)); // the Service's targetPort
        var manager = bound.FilterChains[0].Filters[0].TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>();
        Assert.Equal(ListenerBuilder.GrpcAccessLoggerName, Assert.Single(manager.AccessLog).Name);

        // A new service anywhere reaches the egress (it is not fenced), and only the unfenced proxies.
        await _mesh.SettledAsync();
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh + "\n---\n" + Service("vault", "bank", "10.96.2.2"));
        await egress.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("vault", "bank")), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AProxylessClientOfAFencedService_RecordsWhatItSubscribesInTheFence_WhichReachesItsEnvoyPeers()
    {
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster) && !v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        var node = SimulatedProxyOptions.ProxylessNode("web-grpc-5c8d9-x", "shop", "10.9.0.9");
        var labels = new Struct();
        labels.Fields["app"] = Value.ForString("web");
        node.Metadata.Fields["LABELS"] = Value.ForStruct(labels);
        var client = Track(new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = node,
            Mode = ProxyMode.Delta,
            Gateways = [_mesh.XdsAddress],
            ListenerNames = [$"{Host("ledger", "bank")}:80"],
        }));
        await client.StartAsync();

        // The client itself is never starved: it gets what it dials at once.
        await client.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        // And its dependency is the fence's now: web's Envoy sidecars hold it too.
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));
        using var fencez = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?fence=shop/web"));
        var entry = Assert.Single(fencez.RootElement.GetProperty("learned").EnumerateArray());
        Assert.Equal(("ledger.bank.svc.cluster.local", "proxyless"), (entry.GetProperty("host").GetString(), entry.GetProperty("source").GetString()));
        Assert.Equal("proxyless/shop/(none)", (await _mesh.ScopeKeysAsync())[client.Id]);
    }

    [Fact]
    public async Task Fencez_ForAWorkload_ShowsItsFenceScopeAndResourcesServedNextToFullMode()
    {
        await ConnectAllAsync();
        await _webDelta.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, EgressCluster), TimeSpan.FromSeconds(30));
        await _cart.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Cluster("ledger", "bank")), TimeSpan.FromSeconds(30));

        using var web = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?workload=shop/web"));
        Assert.True(web.RootElement.GetProperty("fenced").GetBoolean());
        Assert.Equal("sidecar/shop/(none)/fence/web", web.RootElement.GetProperty("scope").GetString());
        var resources = web.RootElement.GetProperty("resources");
        var served = resources.GetProperty("served").GetProperty("clusters").GetInt32();
        var full = resources.GetProperty("full").GetProperty("clusters").GetInt32();
        Assert.Equal(_webDelta.View().Held(TypeUrls.Cluster).Count - 1, served); // the proxy also holds its inbound cluster
        Assert.True(served < full, $"served {served} clusters, full mode {full}");
        Assert.Equal("shop/web", web.RootElement.GetProperty("fence").GetProperty("fence").GetString());

        using var cart = JsonDocument.Parse(await _mesh.GetAsync("/debug/fencez?workload=shop/cart"));
        Assert.False(cart.RootElement.GetProperty("fenced").GetBoolean());
        Assert.Equal("sidecar/shop/(none)", cart.RootElement.GetProperty("scope").GetString());
        Assert.Equal(JsonValueKind.Null, cart.RootElement.GetProperty("fence").ValueKind);
    }

    private async Task ConnectAllAsync()
    {
        _webDelta = Sidecar("web", "10.9.0.1", ProxyMode.Delta);
        _webSotw = Sidecar("web", "10.9.0.2", ProxyMode.Sotw);
        _cart = Sidecar("cart", "10.9.0.3", ProxyMode.Delta);
        _grpc = Track(new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.ProxylessNode("grpc-client-7c9-x1", "shop", "10.9.0.5"),
            Mode = ProxyMode.Delta,
            Gateways = [_mesh.XdsAddress],
            ListenerNames = [$"{Host("ledger", "bank")}:80"],
        }));
        foreach (var p in _proxies)
        {
            await p.StartAsync();
        }
    }

    private SimulatedProxy Sidecar(string app, string ip, ProxyMode mode)
    {
        SimulatedProxy? proxy = null;
        proxy = Track(new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode($"{app}-5c8d9-{ip.Replace('.', '-')}", "shop", ip, new Dictionary<string, string> { ["app"] = app }),
            Mode = mode,
            Gateways = [_mesh.XdsAddress],
            OnUpdate = u =>
            {
                if (u.TypeUrl == TypeUrls.Route && u.Name == "80" && !u.Removed)
                {
                    _route80[u.ProxyId] = u.Body.ToArray();
                }
            },
        }));
        return proxy;
    }

    private SimulatedProxy Track(SimulatedProxy p)
    {
        _proxies.Add(p);
        return p;
    }

    private RouteConfiguration RouteOf(SimulatedProxy p) => RouteConfiguration.Parser.ParseFrom(_route80[p.Id]);

    /// <summary>Waits until the proxy's route 80 ends in the virtual host <paramref name="name"/> (RDS follows CDS on a stream), and returns it.</summary>
    private async Task<RouteConfiguration> RouteEndingInAsync(SimulatedProxy p, string name)
    {
        await Eventually.UntilAsync($"{p.Id}'s route 80 to end in {name}", TimeSpan.FromSeconds(15),
            () => Task.FromResult(_route80.ContainsKey(p.Id) ? RouteOf(p).VirtualHosts[^1].Name : "(no route 80 yet)"), last => last == name);
        return RouteOf(p);
    }

    private Dictionary<string, long> Counts() => _proxies.ToDictionary(p => p.Id, p => p.Counters().TotalResponses);

    private static IEnumerable<string> EndpointNames(SimulatedProxy p) => p.View().Held(TypeUrls.Endpoint).Keys;

    private static List<string> Outbound(ProxyView v) =>
        [.. v.Held(TypeUrls.Cluster).Keys.Where(k => k.StartsWith("outbound|", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static string Host(string name, string ns) => $"{name}.{ns}.svc.cluster.local";

    private static string Cluster(string name, string ns) => ResourceNames.OutboundCluster(80, null, Host(name, ns));

    private static readonly string EgressCluster = ResourceNames.OutboundCluster(80, null, Egress);

    private static string Fence(string hosts, bool enable = true) => $"""
        apiVersion: microservice.slime.io/v1alpha1
        kind: ServiceFence
        metadata: {"{"}name: web, namespace: shop{"}"}
        spec:
          enable: {(enable ? "true" : "false")}
          host:
            {hosts}
        """;

    private static string Service(string name, string ns, string ip) => $$$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{{name}}}
          namespace: {{{ns}}}
        spec: {clusterIP: {{{ip}}}, selector: {app: {{{name}}}}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---

        """;

    private static readonly string Mesh = string.Concat(
        Service("web", "shop", "10.96.1.1"), Service("cart", "shop", "10.96.1.2"), Service("pay", "shop", "10.96.1.3"),
        Service("ledger", "bank", "10.96.2.1"), Service("mesh-lazy-egress", "mesh-system", "10.96.9.9")) + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: cart, namespace: shop}
        spec:
          hosts: [cart.shop.svc.cluster.local]
          http:
          - route:
            - {destination: {host: cart.shop.svc.cluster.local}, weight: 90}
            - {destination: {host: pay.shop.svc.cluster.local}, weight: 10}
        """;
}
