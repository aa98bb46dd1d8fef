using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Scopes shared by what determines them (issue 12), through the whole stack (manifest ingest →
/// grains → silo catalog → gateway → ADS): workloads of a namespace share one outbound scope, a
/// Sidecar adds exactly one, and a change for a host rebuilds exactly the scopes that see it and
/// sends nothing to proxies that do not. Builds are counted with <c>mesh_scope_builds_total</c>.
/// </summary>
/// <remarks>
/// The mesh: <c>shop</c> (web, cart, pay; no Sidecar), <c>bank</c> (ledger; audit exported only to
/// bank; Sidecar <c>default</c>: <c>./*</c> and <c>shared/*</c>), <c>shared</c> (auth), <c>iso</c>
/// (iso; Sidecar <c>default</c>: <c>./*</c>). Scopes: <c>sidecar/shop/(none)</c> and
/// <c>proxyless/shop/(none)</c> see web, cart, pay, ledger, auth (and iso: exported everywhere);
/// <c>sidecar/bank/default</c> sees ledger, audit, auth; <c>sidecar/iso/default</c> sees iso only.
/// </remarks>
[Trait("Category", "Functional")]
public sealed class ScopeSharingTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-scopes-").FullName;
    private readonly List<SimulatedProxy> _proxies = [];
    private InProcessMesh _mesh = null!;

    private SimulatedProxy _web1 = null!, _web2 = null!, _cart = null!, _paySotw = null!, _grpc = null!, _ledger1 = null!, _ledger2 = null!, _iso = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh);
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
    public async Task WorkloadsOfANamespace_ShareOneScope_AndASidecarSelectingSomeAddsExactlyOne()
    {
        await _mesh.SettledAsync();
        var before = await _mesh.ScopeBuildsAsync();

        await ConnectAllAsync();

        // shop's 4 sidecars (3 workloads, delta and SotW) share one scope; its gRPC client has the
        // proxyless one; bank's and iso's workloads theirs: 4 scopes, each built once.
        Assert.Equal(4, await _mesh.SettledBuildsAsync(before));
        var scopes = await _mesh.ScopeKeysAsync();
        Assert.Equal("sidecar/shop/(none)", Assert.Single(new[] { _web1, _web2, _cart, _paySotw }.Select(p => scopes[p.Id]).Distinct()));
        Assert.Equal("proxyless/shop/(none)", scopes[_grpc.Id]);
        Assert.Equal("sidecar/bank/default", Assert.Single(new[] { _ledger1, _ledger2 }.Select(p => scopes[p.Id]).Distinct()));
        Assert.Equal("sidecar/iso/default", scopes[_iso.Id]);

        // A Sidecar selecting pay only: pay moves to a new scope (one more build), nothing else is rebuilt.
        var counts = Counts();
        before = await _mesh.ScopeBuildsAsync();
        await WriteAsync("pay-sidecar.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: pay-only, namespace: shop}
            spec:
              workloadSelector: {labels: {app: pay}}
              egress: [{hosts: ["./pay.shop.svc.cluster.local"]}]
            """);
        await _paySotw.WaitUntilAsync(v => Outbound(v).SequenceEqual([Cluster("pay", "shop")]), TimeSpan.FromSeconds(15));

        Assert.Equal(1, await _mesh.SettledBuildsAsync(before));
        Assert.Equal("sidecar/shop/pay-only", (await _mesh.ScopeKeysAsync())[_paySotw.Id]);
        AssertNothingSentTo(counts, _web1, _web2, _cart, _grpc, _ledger1, _ledger2, _iso);
    }

    [Fact]
    public async Task VirtualServiceChange_RebuildsTheScopesThatSeeItsHost_AndReachesNoOtherProxy()
    {
        await ConnectAndSettleAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();
        var route = RouteVersions(_web1);

        await WriteAsync("web-vs.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: web, namespace: shop}
            spec:
              hosts: [web.shop.svc.cluster.local]
              http: [{timeout: 7s, route: [{destination: {host: web.shop.svc.cluster.local}}]}]
            """);
        await _web1.WaitUntilAsync(v => RouteVersions(v) != route, TimeSpan.FromSeconds(15));

        // web is seen by shop's sidecar and proxyless scopes, and by no other.
        Assert.Equal(2, await _mesh.SettledBuildsAsync(before));
        AssertNothingSentTo(counts, _ledger1, _ledger2, _iso);
    }

    [Fact]
    public async Task DestinationRuleWithSubsets_RebuildsTheScopesThatSeeItsHost_AndAPolicyOnlyChangeRebuildsNone()
    {
        await ConnectAndSettleAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();
        var v1 = ResourceNames.OutboundCluster(80, "v1", Host("ledger", "bank"));

        await WriteAsync("ledger-dr.yaml", DestinationRule("ROUND_ROBIN"));
        foreach (var p in new[] { _web1, _ledger1 })
        {
            await p.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, v1), TimeSpan.FromSeconds(15));
        }

        // ledger is seen by shop's two scopes and bank's: a new subset cluster is a new name in each.
        Assert.Equal(3, await _mesh.SettledBuildsAsync(before));
        AssertNothingSentTo(counts, _iso);

        // A load-balancer change alters the clusters' bytes only: pushed by the service, no scope rebuilt.
        counts = Counts();
        before = await _mesh.ScopeBuildsAsync();
        var version = _ledger1.View().Version(TypeUrls.Cluster, v1);
        await WriteAsync("ledger-dr.yaml", DestinationRule("LEAST_REQUEST"));
        await _ledger1.WaitUntilAsync(v => v.Version(TypeUrls.Cluster, v1) != version, TimeSpan.FromSeconds(15));

        Assert.Equal(0, await _mesh.SettledBuildsAsync(before));
        AssertNothingSentTo(counts, _iso);
    }

    [Fact]
    public async Task ExportToChange_RebuildsOnlyTheScopesWhoseVisibilityChanges()
    {
        await ConnectAndSettleAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();
        var audit = Cluster("audit", "bank");
        Assert.False(_web1.Holds(TypeUrls.Cluster, audit));

        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh.Replace("networking.istio.io/exportTo: \".\"", "networking.istio.io/exportTo: \"*\"", StringComparison.Ordinal));
        await _web1.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, audit), TimeSpan.FromSeconds(15));

        // shop's two scopes now see audit; bank's saw it already; iso's Sidecar keeps it out.
        Assert.Equal(2, await _mesh.SettledBuildsAsync(before));
        AssertNothingSentTo(counts, _ledger1, _ledger2, _iso);
    }

    [Fact]
    public async Task SidecarChange_RebuildsOnlyTheScopeItKeys()
    {
        await ConnectAndSettleAsync();
        var counts = Counts();
        var before = await _mesh.ScopeBuildsAsync();
        var auth = Cluster("auth", "shared");
        Assert.True(_ledger1.Holds(TypeUrls.Cluster, auth));

        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh.Replace("egress: [{hosts: [\"./*\", \"shared/*\"]}]", "egress: [{hosts: [\"./*\"]}]", StringComparison.Ordinal));
        foreach (var p in new[] { _ledger1, _ledger2 })
        {
            await p.WaitUntilAsync(v => !v.Holds(TypeUrls.Cluster, auth), TimeSpan.FromSeconds(15));
        }

        Assert.Equal(1, await _mesh.SettledBuildsAsync(before));
        AssertNothingSentTo(counts, _web1, _web2, _cart, _paySotw, _grpc, _iso);
    }

    private async Task ConnectAndSettleAsync()
    {
        await _mesh.SettledAsync();
        await ConnectAllAsync();
        await _mesh.SettledAsync();
    }

    private async Task ConnectAllAsync()
    {
        _web1 = Sidecar("web", "shop", "10.9.0.1", ProxyMode.Delta);
        _web2 = Sidecar("web", "shop", "10.9.0.2", ProxyMode.Delta);
        _cart = Sidecar("cart", "shop", "10.9.0.3", ProxyMode.Delta);
        _paySotw = Sidecar("pay", "shop", "10.9.0.4", ProxyMode.Sotw);
        _grpc = Track(new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.ProxylessNode("grpc-client-7c9-x1", "shop", "10.9.0.5"),
            Mode = ProxyMode.Delta,
            Gateways = [_mesh.XdsAddress],
            ListenerNames = [$"{Host("web", "shop")}:80", $"{Host("ledger", "bank")}:80"],
        }));
        _ledger1 = Sidecar("ledger", "bank", "10.9.1.1", ProxyMode.Delta);
        _ledger2 = Sidecar("ledger", "bank", "10.9.1.2", ProxyMode.Sotw);
        _iso = Sidecar("iso", "iso", "10.9.2.1", ProxyMode.Delta);
        foreach (var p in _proxies)
        {
            await p.StartAsync();
        }
        string[] shop = [Cluster("web", "shop"), Cluster("cart", "shop"), Cluster("pay", "shop"), Cluster("ledger", "bank"), Cluster("auth", "shared"), Cluster("iso", "iso")];
        foreach (var p in new[] { _web1, _web2, _cart, _paySotw })
        {
            await p.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, shop) && v.Holds(TypeUrls.Route, "80"), TimeSpan.FromSeconds(30));
        }
        await _grpc.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("web", "shop"), Cluster("ledger", "bank")]), TimeSpan.FromSeconds(30));
        foreach (var p in new[] { _ledger1, _ledger2 })
        {
            await p.WaitUntilAsync(v => v.HoldsAll(TypeUrls.Cluster, [Cluster("ledger", "bank"), Cluster("audit", "bank"), Cluster("auth", "shared")]), TimeSpan.FromSeconds(30));
        }
        await _iso.WaitUntilAsync(v => Outbound(v).SequenceEqual([Cluster("iso", "iso")]), TimeSpan.FromSeconds(30));
    }

    private SimulatedProxy Sidecar(string app, string ns, string ip, ProxyMode mode) => Track(new SimulatedProxy(new SimulatedProxyOptions
    {
        Node = SimulatedProxyOptions.SidecarNode($"{app}-5c8d9-{ip.Replace('.', '-')}", ns, ip, new Dictionary<string, string> { ["app"] = app }),
        Mode = mode,
        Gateways = [_mesh.XdsAddress],
    }));

    private SimulatedProxy Track(SimulatedProxy p)
    {
        _proxies.Add(p);
        return p;
    }

    private Dictionary<string, long> Counts() => _proxies.ToDictionary(p => p.Id, p => p.Counters().TotalResponses);

    private static void AssertNothingSentTo(Dictionary<string, long> before, params SimulatedProxy[] proxies)
    {
        foreach (var p in proxies)
        {
            Assert.True(before[p.Id] == p.Counters().TotalResponses, $"{p.Id} does not see the changed host and must receive nothing; it got {p.Counters().TotalResponses - before[p.Id]} responses");
        }
    }

    private Task WriteAsync(string file, string yaml) => File.WriteAllTextAsync(Path.Combine(_dir, file), yaml);

    private static string RouteVersions(SimulatedProxy p) => RouteVersions(p.View());

    private static string RouteVersions(ProxyView v) => string.Join(",", v.Held(TypeUrls.Route).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value.Version));

    private static List<string> Outbound(ProxyView v) =>
        [.. v.Held(TypeUrls.Cluster).Keys.Where(k => k.StartsWith("outbound|", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static string Host(string name, string ns) => $"{name}.{ns}.svc.cluster.local";

    private static string Cluster(string name, string ns) => ResourceNames.OutboundCluster(80, null, Host(name, ns));

    private static string DestinationRule(string lb) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ledger, namespace: bank}
        spec:
          host: ledger.bank.svc.cluster.local
          trafficPolicy: {loadBalancer: {simple: {{{lb}}}}}
          subsets: [{name: v1, labels: {version: v1}}]
        """;

    private static string Service(string name, string ns, string ip, string? exportTo = null) => $$$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{{name}}}
          namespace: {{{ns}}}
        {{{(exportTo is null ? "" : $"  annotations: {{networking.istio.io/exportTo: \"{exportTo}\"}}")}}}
        spec: {clusterIP: {{{ip}}}, selector: {app: {{{name}}}}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---

        """;

    private static readonly string Mesh = string.Concat(
        Service("web", "shop", "10.96.1.1"), Service("cart", "shop", "10.96.1.2"), Service("pay", "shop", "10.96.1.3"),
        Service("ledger", "bank", "10.96.2.1"), Service("audit", "bank", "10.96.2.2", exportTo: "."),
        Service("auth", "shared", "10.96.3.1"), Service("iso", "iso", "10.96.4.1")) + """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: bank}
        spec:
          egress: [{hosts: ["./*", "shared/*"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: iso}
        spec:
          egress: [{hosts: ["./*"]}]
        """;
}
