using Mesh.Testing;
using System.Collections.Immutable;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class ListenerBuilderTests
{
    private static Listener Listener(ScopeResources scope, string name) =>
        (Listener)EnvoyJson.Parse(scope.Listeners.Single(l => l.Name == name));

    private static RouteConfiguration Route(ScopeResources scope, string name) =>
        (RouteConfiguration)EnvoyJson.Parse(scope.Routes.Single(r => r.Name == name));

    [Fact]
    public void BuildProxyless_Ratings_ApiListenerPerPortOverAds()
    {
        var listeners = ListenerBuilder.BuildProxyless(Bookinfo.RatingsInput());

        Assert.Equal([$"{Bookinfo.Ratings}:9080", $"{Bookinfo.Ratings}:9090"], listeners.Select(l => l.Name));
        var manager = ((Listener)EnvoyJson.Parse(listeners[0])).ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.Equal(listeners[0].Name, manager.Rds.RouteConfigName);
        Assert.NotNull(manager.Rds.ConfigSource.Ads);
        Assert.Equal([EnvoyFilters.FaultName, "envoy.filters.http.router"], manager.HttpFilters.Select(f => f.Name)); // no CORS filter: gRPC NACKs unknown filter types (G-03)
    }

    [Fact]
    public void BuildSidecar_Bookinfo_ListenersRoutesAndClusters()
    {
        var scope = ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope());

        Assert.Equal(["0.0.0.0_9080", "0.0.0.0_9090", "240.240.0.1_3306", "virtualInbound", "virtualOutbound"], scope.Listeners.Select(l => l.Name));
        Assert.Equal(["9080", "9090"], scope.Routes.Select(r => r.Name));
        Assert.Equal([ResourceNames.PassthroughCluster, ResourceNames.BlackHoleCluster, "inbound|9080||"], scope.OwnClusters.Select(c => c.Name));
        Assert.Contains($"outbound|9080|v3|{Bookinfo.Reviews}", scope.ClusterNames);
        Assert.Contains("inbound|9080||", scope.ClusterNames);
        Assert.Equal(scope.ClusterNames.Order(StringComparer.Ordinal), scope.ClusterNames);
        Assert.Empty(scope.Diagnostics);

        var outbound = Listener(scope, "0.0.0.0_9080");
        Assert.False(outbound.BindToPort);
        Assert.Equal(Envoy.Config.Core.V3.TrafficDirection.Outbound, outbound.TrafficDirection);
        var virtualOutbound = Listener(scope, ResourceNames.VirtualOutbound);
        Assert.True(virtualOutbound.UseOriginalDst);
        Assert.Equal(15001u, virtualOutbound.Address.SocketAddress.PortValue);
    }

    [Fact]
    public void BuildSidecar_Route_SortedHostsThenAllowAny()
    {
        var scope = ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope());

        Assert.Equal(
            [$"{Bookinfo.Details}:9080", $"{Bookinfo.ProductPage}:9080", $"{Bookinfo.Ratings}:9080", $"{Bookinfo.Reviews}:9080", "allow_any"],
            Route(scope, "9080").VirtualHosts.Select(v => v.Name));
    }

    [Fact]
    public void BuildSidecar_DuplicateDomain_KeepsFirstAndReports()
    {
        var other = Bookinfo.DetailsInput();
        other = other with { Service = other.Service with { Hostname = "details.zzz.svc.cluster.local", Namespace = "zzz" } };
        var view = Bookinfo.ProductPageScope();
        view = view with { Services = view.Services.Add(Bookinfo.ScopeService(other)) };

        var scope = ListenerBuilder.BuildSidecar(view);

        var hosts = Route(scope, "9080").VirtualHosts;
        var domains = hosts.SelectMany(v => v.Domains).ToList();
        Assert.Equal(domains.Count, domains.Distinct().Count());
        Assert.Contains("10.0.0.11", hosts.Single(v => v.Name == $"{Bookinfo.Details}:9080").Domains);
        Assert.DoesNotContain("10.0.0.11", hosts.Single(v => v.Name == "details.zzz.svc.cluster.local:9080").Domains);
        Assert.Equal(2, scope.Diagnostics.Length);
        Assert.All(scope.Diagnostics, d => Assert.Contains("already served by " + Bookinfo.Details, d, StringComparison.Ordinal));
    }

    [Fact]
    public void BuildSidecar_VirtualInbound_ChainPerPortAndDefault()
    {
        var view = Bookinfo.ProductPageScope() with { InboundPorts = [new InboundPort(9080, Protocol.Http), new InboundPort(3306, Protocol.Tcp)] };

        var inbound = Listener(ListenerBuilder.BuildSidecar(view), ResourceNames.VirtualInbound);

        Assert.Equal([3306u, 9080u], inbound.FilterChains.Select(c => c.FilterChainMatch.DestinationPort ?? 0));
        Assert.Equal("envoy.filters.network.tcp_proxy", inbound.FilterChains[0].Filters.Single().Name);
        var manager = inbound.FilterChains[1].Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("inbound|9080||", manager.RouteConfig.VirtualHosts.Single().Routes.Single().Route_.Cluster);
        Assert.Equal("envoy.filters.listener.original_dst", inbound.ListenerFilters.Single().Name);
        Assert.NotNull(inbound.DefaultFilterChain);
    }

    [Fact]
    public void BuildRouter_Bookinfo_BoundListenerAndGatewayRoute()
    {
        var router = ListenerBuilder.BuildRouter(Bookinfo.IngressGateway());

        var listener = Listener(router, "0.0.0.0_80");
        Assert.True(listener.BindToPort);
        var host = Route(router, "http.80").VirtualHosts.Single();
        Assert.Equal(("*:80", "*"), (host.Name, host.Domains.Single()));
        Assert.Equal(3, host.Routes.Count);
        Assert.Equal($"outbound|9080||{Bookinfo.ProductPage}", Assert.Single(router.ClusterNames));
        Assert.Empty(router.Diagnostics);
    }

    [Fact]
    public void BuildRouter_HeaderMatch_KeepsStringMatch()
    {
        var view = Bookinfo.IngressGateway();
        var vs = view.VirtualServices[0];
        var match = new HttpMatchRequest(null, null, Bookinfo.Map(("end-user", new StringMatch(StringMatchKind.Exact, "jason"))), null, []);
        view = view with { VirtualServices = [vs with { Http = [vs.Http[0] with { Match = [match] }] }] };

        var header = Route(ListenerBuilder.BuildRouter(view), "http.80").VirtualHosts.Single().Routes.Single().Match.Headers.Single();

        // Envoy routers take the current form; only proxyless gRPC routes need the legacy fields.
        Assert.Equal(("end-user", "jason"), (header.Name, header.StringMatch.Exact));
    }

    [Fact]
    public void BuildRouter_HostsAndUnboundVirtualService_OnlyAdmittedHosts()
    {
        var view = Bookinfo.IngressGateway();
        var gateway = view.Gateways[0] with { Servers = [new GatewayServer("http", new GatewayPort(8080, "HTTP", "http"), ["bookinfo/*.example.com"])] };
        VirtualService Vs(string name, string host, string gatewayRef) => new(
            ObjectMeta.Of(name, Bookinfo.Namespace), [host], [gatewayRef],
            [new HttpRoute(null, [], [new RouteDestination(new Destination("productpage", null, null), null)], null, null)], [], []);
        view = view with
        {
            Gateways = [gateway],
            VirtualServices = [Vs("a", "shop.example.com", "bookinfo/bookinfo-gateway"), Vs("b", "other.org", "bookinfo-gateway"), Vs("c", "x.example.com", "elsewhere")],
        };

        var host = Route(ListenerBuilder.BuildRouter(view), "http.8080").VirtualHosts.Single();

        Assert.Equal("shop.example.com:8080", host.Name);
        Assert.Equal(["shop.example.com", "shop.example.com:8080"], host.Domains);
    }

    [Fact]
    public void BuildRouter_DestinationWithSeveralPorts_ReportsAndDrops()
    {
        var view = Bookinfo.IngressGateway();
        view = view with
        {
            DestinationPorts = ImmutableSortedDictionary<string, ImmutableArray<MeshServicePort>>.Empty
                .Add(Bookinfo.ProductPage, [Bookinfo.Http(9080), Bookinfo.Http(9081)]),
        };

        var router = ListenerBuilder.BuildRouter(view);

        Assert.Empty(Route(router, "http.80").VirtualHosts.Single().Routes);
        Assert.Empty(router.ClusterNames);
        Assert.Contains(router.Diagnostics, d => d.Contains("has no single port", StringComparison.Ordinal));
    }
}
