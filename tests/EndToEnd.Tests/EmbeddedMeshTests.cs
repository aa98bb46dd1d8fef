using System.Text.Json;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// The embedded default over the repository's examples/ (Bookinfo plus the echo demo), driven by
/// SotW ADS clients shaped like an Envoy sidecar and an Envoy ingress gateway.
/// </summary>
[Trait("Category", "Functional")]
public sealed class EmbeddedMeshTests : IAsyncLifetime
{
    private const string Bookinfo = "bookinfo.svc.cluster.local";
    private InProcessMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await InProcessMesh.StartAsync(Path.Combine(RepoPaths.RepoRoot(), "examples"));

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private static Node Envoy(string kind, string pod, string ip, params (string Key, string Value)[] labels)
    {
        var node = TestNodes.WithId($"{kind}~{ip}~{pod}.bookinfo~{Bookinfo}", "bookinfo");
        var s = new Struct();
        foreach (var (k, v) in labels)
        {
            s.Fields[k] = Value.ForString(v);
        }
        node.Metadata.Fields["LABELS"] = Value.ForStruct(s);
        return node;
    }

    [Fact]
    public async Task BookinfoSidecar_SeesItsNamespaceOnly_WithSubsetsEndpointsListenersAndRoutes()
    {
        await using var envoy = new AdsTestClient(_mesh.XdsAddress, Envoy("sidecar", "productpage-v1-7d9f8-x2", "10.10.1.11", ("app", "productpage"), ("version", "v1")));

        await envoy.RequestAsync(TypeUrls.Cluster);
        var cds = await envoy.ExpectResponseAsync(TypeUrls.Cluster);
        await envoy.AckAsync(cds);
        var clusters = cds.Resources.Select(r => Cluster.Parser.ParseFrom(r.Value).Name).ToList();
        // The Sidecar "default" admits ./* and istio-system/*: all of Bookinfo, not the demo namespace.
        Assert.Contains($"outbound|9080|v2|reviews.{Bookinfo}", clusters);
        Assert.Contains($"outbound|9080|v1|ratings.{Bookinfo}", clusters);
        Assert.Contains($"outbound|9080||details.{Bookinfo}", clusters);
        Assert.Contains("inbound|9080||", clusters);
        Assert.Contains(ResourceNames.PassthroughCluster, clusters);
        Assert.DoesNotContain(clusters, c => c.Contains("echo.demo", StringComparison.Ordinal));
        Assert.Equal(clusters.Count, clusters.Distinct().Count());

        await envoy.RequestAsync(TypeUrls.Endpoint, [$"outbound|9080|v2|reviews.{Bookinfo}"]);
        var eds = await envoy.ExpectResponseAsync(TypeUrls.Endpoint);
        var cla = ClusterLoadAssignment.Parser.ParseFrom(Assert.Single(eds.Resources).Value);
        Assert.Equal(["10.10.2.22:9080"], cla.Endpoints.SelectMany(l => l.LbEndpoints)
            .Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}"));
        await envoy.AckAsync(eds);

        await envoy.RequestAsync(TypeUrls.Listener);
        var lds = await envoy.ExpectResponseAsync(TypeUrls.Listener);
        var listeners = lds.Resources.Select(r => Listener.Parser.ParseFrom(r.Value)).ToList();
        Assert.Equal(["0.0.0.0_9080", ResourceNames.VirtualInbound, ResourceNames.VirtualOutbound], listeners.Select(l => l.Name).Order(StringComparer.Ordinal));
        var hcm = listeners.Single(l => l.Name == "0.0.0.0_9080").FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("9080", hcm.Rds.RouteConfigName);
        await envoy.AckAsync(lds);

        await envoy.RequestAsync(TypeUrls.Route, ["9080"]);
        var rds = await envoy.ExpectResponseAsync(TypeUrls.Route);
        var route = RouteConfiguration.Parser.ParseFrom(Assert.Single(rds.Resources).Value);
        var reviews = route.VirtualHosts.Single(v => v.Name == $"reviews.{Bookinfo}:9080");
        Assert.Contains("reviews", reviews.Domains);
        Assert.Contains("reviews:9080", reviews.Domains);
        // jason → v2 first, then 80/20 v1/v3 (the reviews VirtualService in examples/routing.yaml).
        Assert.Equal($"outbound|9080|v2|reviews.{Bookinfo}", reviews.Routes[0].Route_.Cluster);
        Assert.Equal([($"outbound|9080|v1|reviews.{Bookinfo}", 80u), ($"outbound|9080|v3|reviews.{Bookinfo}", 20u)],
            reviews.Routes[1].Route_.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight ?? 0)));
        // Every cluster a route names is in the CDS the proxy holds (X-33: routes are not warmed).
        var routed = route.VirtualHosts.SelectMany(v => v.Routes).SelectMany(r =>
            r.Route_.WeightedClusters is { } w ? w.Clusters.Select(c => c.Name) : [r.Route_.Cluster]);
        Assert.All(routed, c => Assert.Contains(c, clusters));
    }

    [Fact]
    public async Task IngressGateway_GetsItsGatewayListener_AndTheBoundVirtualServiceRoutes()
    {
        await using var gateway = new AdsTestClient(_mesh.XdsAddress, Envoy("router", "istio-ingressgateway-5d8f-k2", "10.10.9.1", ("istio", "ingressgateway")));

        await gateway.RequestAsync(TypeUrls.Cluster);
        var cds = await gateway.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Contains($"outbound|9080||productpage.{Bookinfo}", cds.Resources.Select(r => Cluster.Parser.ParseFrom(r.Value).Name));
        await gateway.AckAsync(cds);

        await gateway.RequestAsync(TypeUrls.Listener);
        var lds = await gateway.ExpectResponseAsync(TypeUrls.Listener);
        var listener = Listener.Parser.ParseFrom(Assert.Single(lds.Resources).Value);
        Assert.Equal("0.0.0.0_8080", listener.Name);
        Assert.Equal("http.8080", listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>().Rds.RouteConfigName);
        await gateway.AckAsync(lds);

        await gateway.RequestAsync(TypeUrls.Route, ["http.8080"]);
        var rds = await gateway.ExpectResponseAsync(TypeUrls.Route);
        var vhost = Assert.Single(RouteConfiguration.Parser.ParseFrom(Assert.Single(rds.Resources).Value).VirtualHosts);
        Assert.Contains("*", vhost.Domains);
        Assert.Equal([("/productpage", ""), ("", "/static")], vhost.Routes.Select(r => (r.Match.Path, r.Match.Prefix)));
        Assert.All(vhost.Routes, r => Assert.Equal($"outbound|9080||productpage.{Bookinfo}", r.Route_.Cluster));
    }

    [Fact]
    public async Task Metrics_ExportProcessAndRuntimeCost_UnderTheDocumentedNames()
    {
        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        // docs/configuration.md: the load tool attributes CPU, JIT and GC time to each process by these.
        foreach (var name in new[] { "process_cpu_seconds_total", "process_resident_memory_bytes", "dotnet_jit_compilation_seconds_total", "dotnet_jit_methods_total" })
        {
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"{name} is not exported");
            Assert.True(double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        }
        Assert.Contains("\ndotnet_gc_pause_seconds_total ", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NackedClusters_AreRecordedInSynczAndMetrics_AndNotResent()
    {
        var node = Envoy("sidecar", "details-v1-7d9f8-q1", "10.10.1.12", ("app", "details"), ("version", "v1"));
        await using var envoy = new AdsTestClient(_mesh.XdsAddress, node);
        await envoy.RequestAsync(TypeUrls.Cluster);
        var cds = await envoy.ExpectResponseAsync(TypeUrls.Cluster);

        await envoy.NackAsync(cds, "cluster outbound|9080||x: invalid lb_policy");

        await envoy.ExpectNoResponseAsync(TimeSpan.FromSeconds(1)); // X-10: no resend loop
        using var http = new HttpClient { BaseAddress = _mesh.AdminAddress };
        using var syncz = JsonDocument.Parse(await http.GetStringAsync(new Uri("/debug/syncz", UriKind.Relative)));
        var proxy = syncz.RootElement.EnumerateArray().Single(p => p.GetProperty("proxy").GetString() == node.Id);
        var cdsStatus = proxy.GetProperty("types").GetProperty("cds");
        Assert.Equal(cds.VersionInfo, cdsStatus.GetProperty("nacked").GetString());
        Assert.Equal("cluster outbound|9080||x: invalid lb_policy", cdsStatus.GetProperty("lastError").GetString());
        Assert.Equal("STALE", cdsStatus.GetProperty("state").GetString());
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("xds_rejects_total{type=\"cds\"} 1", metrics, StringComparison.Ordinal);

        // The gateway's batched status report reaches the proxy's grain once its pushes pause
        // (ProxyReports): the grain counts the NACK, and the flush is counted on the gateway.
        await Harness.Eventually.UntilAsync("the NACK to reach the proxy's grain through the gateway's status report", TimeSpan.FromSeconds(15),
            () => http.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            m => m.Contains("mesh_proxy_nacks_total{type=\"cds\"} 1", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(m, @"^xds_status_reports_total [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline),
            m => string.Join("; ", m.Split('\n').Where(l => l.StartsWith("mesh_proxy_nacks", StringComparison.Ordinal) || l.StartsWith("xds_status_reports", StringComparison.Ordinal))));

        var dump = await http.GetStringAsync(new Uri($"/debug/config_dump?proxyID={Uri.EscapeDataString(node.Id)}", UriKind.Relative));
        Assert.Contains($"outbound|9080||details.{Bookinfo}", dump, StringComparison.Ordinal);
    }
}
