using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.AccessLoggers.Grpc.V3;
using Envoy.Extensions.Filters.Http.OnDemand.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.Model.Tests.Translation;

/// <summary>What a fenced sidecar and the lazy egress are built with: the fallback's way out, and the egress's way on.</summary>
public sealed class LazyBuilderTests
{
    private static readonly MeshSettings Settings = MeshSettings.Default;
    private const string ClusterEgress = MeshSettings.DefaultLazyEgress;

    private static ScopeService Service(string name, string ns, params MeshServicePort[] ports)
    {
        var service = new MeshService(
            $"{name}.{ns}.svc.cluster.local", ns, [.. ports], ["10.0.0." + (name.Length + ns.Length)], ServiceOrigin.Kubernetes, Resolution.Static, ["*"],
            ImmutableSortedDictionary<string, string>.Empty.Add("app", name));
        return ScopeService.From(new ServiceTranslationInput(service, [], null, [], Settings));
    }

    private static MeshServicePort Http(int port, int? target = null) => new("http", port, Protocol.Http, target ?? port);

    private static MeshServicePort Tunnel() => new("tcp-tunnel", 15009, Protocol.Tcp, 15009);

    private static TcpProxy CatchAll(ScopeResources built) =>
        Parse<Listener>(built.Listeners.Single(l => l.Name == ResourceNames.VirtualOutbound)).FilterChains.Single().Filters.Single().TypedConfig.Unpack<TcpProxy>();

    private static T Parse<T>(XdsResource resource) => (T)EnvoyJson.Parse(resource);

    private static HttpConnectionManager Manager(Listener listener) =>
        listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();

    private static ScopeView EgressView(string ns, params ScopeService[] services) => new(ns, [.. services], [], Settings);

    [Fact]
    public void Egress_ClusterMode_BoundListenerOnTargetPort_StreamsFallbackRequestsToMesh()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("mesh-system",
            Service("mesh-lazy-egress", "mesh-system", Http(80, 8080)), Service("cart", "shop", Http(80))));

        var listener = Parse<Listener>(built.Listeners.Single());
        Assert.Equal("0.0.0.0_8080", listener.Name);
        Assert.True(listener.BindToPort);
        Assert.Equal(8080u, listener.Address.SocketAddress.PortValue);
        var manager = Manager(listener);
        Assert.Equal("80", manager.Rds.RouteConfigName);
        var log = manager.AccessLog.Single();
        Assert.Equal(ListenerBuilder.GrpcAccessLoggerName, log.Name);
        Assert.Equal(ListenerBuilder.LazySourceHeader, log.Filter.HeaderFilter.Header.Name);
        Assert.True(log.Filter.HeaderFilter.Header.PresentMatch);
        var config = log.TypedConfig.Unpack<HttpGrpcAccessLogConfig>();
        Assert.Equal("xds-grpc", config.CommonConfig.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal(Envoy.Config.Core.V3.ApiVersion.V3, config.CommonConfig.TransportApiVersion);
        Assert.Equal([ListenerBuilder.LazySourceHeader], config.AdditionalRequestHeadersToLog);
        Assert.Empty(built.Diagnostics);
    }

    [Fact]
    public void Egress_ClusterMode_RoutesFqdnAndNameNamespace_BareNamesByOriginalDestination()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("mesh-system",
            Service("mesh-lazy-egress", "mesh-system", Http(80)), Service("cart", "shop", Http(80)), Service("tools", "mesh-system", Http(80))));
        var sim = new SidecarSimulation(built);
        var fallback = new Dictionary<string, string> { [ListenerBuilder.OriginalDestinationHeader] = "10.0.0.9:80", [ListenerBuilder.LazySourceHeader] = "shop/web" };

        Assert.Equal("outbound|80||cart.shop.svc.cluster.local", sim.Call("cart.shop.svc.cluster.local", 80, headers: fallback).Cluster);
        Assert.Equal("outbound|80||cart.shop.svc.cluster.local", sim.Call("cart.shop", 80, headers: fallback).Cluster);
        // "tools" from a caller in shop is shop's tools, not the egress namespace's: the dialled address decides.
        Assert.Equal(ResourceNames.LazyOriginalDstCluster, sim.Call("tools", 80, headers: fallback).Cluster);
        Assert.Equal(ResourceNames.LazyOriginalDstCluster, sim.Call("cart", 80, headers: fallback).Cluster);
        // Without the header (a direct call to the egress) nothing loops back into it.
        var direct = sim.Call("cart", 80);
        Assert.Equal("no_route", direct.Route);
        Assert.Empty(direct.Clusters);

        var own = Parse<Cluster>(built.OwnClusters.Single());
        Assert.Equal(Cluster.Types.DiscoveryType.OriginalDst, own.Type);
        Assert.True(own.OriginalDstLbConfig.UseHttpHeader);
        Assert.Equal(ListenerBuilder.OriginalDestinationHeader, own.OriginalDstLbConfig.HttpHeaderName);
        Assert.Contains("outbound|80||cart.shop.svc.cluster.local", built.ClusterNames);
        Assert.DoesNotContain(built.ClusterNames, c => c.Contains("mesh-lazy-egress", StringComparison.Ordinal)); // never routes to itself
    }

    [Fact]
    public void Egress_FirstPortAlsoServesPortsTheEgressDoesNotListenOn()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("mesh-system",
            Service("mesh-lazy-egress", "mesh-system", Http(80), Http(9080)),
            Service("cart", "shop", Http(80), Http(7070)),
            Service("pay", "shop", Http(9080))));
        var sim = new SidecarSimulation(built);

        Assert.Equal(["0.0.0.0_80", "0.0.0.0_9080"], built.Listeners.Select(l => l.Name));
        // A fenced sidecar falls back from 7070 to the egress's first port, authority kept.
        Assert.Equal("outbound|7070||cart.shop.svc.cluster.local", sim.Call("cart.shop.svc.cluster.local:7070", 80).Cluster);
        Assert.Equal("outbound|80||cart.shop.svc.cluster.local", sim.Call("cart.shop.svc.cluster.local", 80).Cluster);
        Assert.Equal("outbound|9080||pay.shop.svc.cluster.local", sim.Call("pay.shop.svc.cluster.local", 9080).Cluster);
        // The second port's route holds its own port only.
        var second = Parse<RouteConfiguration>(built.Routes.Single(r => r.Name == "9080"));
        Assert.Equal(["pay.shop.svc.cluster.local:9080", "lazy_egress_original_dst"], second.VirtualHosts.Select(v => v.Name));
    }

    [Fact]
    public void Egress_NamespaceMode_ServesItsNamespaceShortNames()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("shop",
            Service("mesh-lazy-egress", "shop", Http(80)), Service("cart", "shop", Http(80))));
        var sim = new SidecarSimulation(built);

        Assert.Equal("outbound|80||cart.shop.svc.cluster.local", sim.Call("cart", 80).Cluster);
    }

    [Fact]
    public void Egress_ServiceGone_NoListeners_AndSaysWhy()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("mesh-system", Service("cart", "shop", Http(80))));

        Assert.Empty(built.Listeners);
        Assert.Contains(built.Diagnostics, d => d.Contains(ClusterEgress, StringComparison.Ordinal));
    }

    [Fact]
    public void FencedSidecar_OnDemandCdsBeforeRouter_FallbackMarksFenceAndDialledAddress()
    {
        var view = new ScopeView("shop", [Service("mesh-lazy-egress", "mesh-system", Http(80)), Service("cart", "shop", Http(80))], [], Settings, "shop/web");
        var built = ListenerBuilder.BuildSidecarOutbound(view);

        var manager = Manager(Parse<Listener>(built.Listeners.Single(l => l.Name == "0.0.0.0_80")));
        Assert.Equal([EnvoyFilters.FaultName, EnvoyFilters.CorsName, EnvoyFilters.OnDemandName, "envoy.filters.http.router"], manager.HttpFilters.Select(f => f.Name));
        var onDemand = manager.HttpFilters.Single(f => f.Name == EnvoyFilters.OnDemandName).TypedConfig.Unpack<OnDemand>();
        Assert.NotNull(onDemand.Odcds.Source.Ads);

        var sim = new SidecarSimulation(built);
        Assert.Equal("outbound|80||cart.shop.svc.cluster.local", sim.Call("cart", 80).Cluster);
        var fallback = sim.Call("other.elsewhere.svc.cluster.local", 80);
        Assert.Equal($"outbound|80||{ClusterEgress}", fallback.Cluster);
        var lazy = Parse<RouteConfiguration>(built.Routes.Single()).VirtualHosts.Last().Routes.Single();
        Assert.Equal(
            [(ListenerBuilder.LazySourceHeader, "shop/web"), (ListenerBuilder.OriginalDestinationHeader, "%DOWNSTREAM_LOCAL_ADDRESS%")],
            lazy.RequestHeadersToAdd.Select(h => (h.Header.Key, h.Header.Value)));
    }

    [Fact]
    public void FencedSidecar_PrefersItsNamespacesEgress_OverTheClusterOne()
    {
        var view = new ScopeView("shop",
            [Service("mesh-lazy-egress", "mesh-system", Http(80)), Service("mesh-lazy-egress", "shop", Http(80)), Service("cart", "shop", Http(80))], [], Settings, "shop/web");
        var sim = new SidecarSimulation(ListenerBuilder.BuildSidecarOutbound(view));

        Assert.Equal("outbound|80||mesh-lazy-egress.shop.svc.cluster.local", sim.Call("other.elsewhere.svc.cluster.local", 80).Cluster);
    }

    [Fact]
    public void UnfencedSidecar_HasNoOnDemandFilter()
    {
        var view = new ScopeView("shop", [Service("cart", "shop", Http(80))], [], Settings);
        var manager = Manager(Parse<Listener>(ListenerBuilder.BuildSidecarOutbound(view).Listeners.Single(l => l.Name == "0.0.0.0_80")));

        Assert.Equal([EnvoyFilters.FaultName, EnvoyFilters.CorsName, "envoy.filters.http.router"], manager.HttpFilters.Select(f => f.Name));
    }
    [Fact]
    public void FencedSidecar_TcpOnAPortOutsideItsFence_IsTunnelledToTheEgressAsConnectForTheDialledAddress()
    {
        var view = new ScopeView("shop", [Service("mesh-lazy-egress", "mesh-system", Http(80), Tunnel()), Service("cart", "shop", Http(80))], [], Settings, "shop/web");
        var built = ListenerBuilder.BuildSidecarOutbound(view);

        var proxy = CatchAll(built);
        Assert.Equal($"outbound|15009||{ClusterEgress}", proxy.Cluster);
        Assert.Contains(proxy.Cluster, built.ClusterNames);
        Assert.Equal("%DOWNSTREAM_LOCAL_ADDRESS%", proxy.TunnelingConfig.Hostname);
        Assert.Equal(
            [(ListenerBuilder.OriginalDestinationHeader, "%DOWNSTREAM_LOCAL_ADDRESS%"), (ListenerBuilder.LazySourceHeader, "shop/web")],
            proxy.TunnelingConfig.HeadersToAdd.Select(h => (h.Header.Key, h.Header.Value)));
        Assert.Empty(built.Diagnostics);
    }

    [Fact]
    public void FencedSidecar_EgressWithoutTheTunnelPort_KeepsThePassthrough_UnfencedAlwaysDoes()
    {
        var noTunnel = ListenerBuilder.BuildSidecarOutbound(new ScopeView("shop", [Service("mesh-lazy-egress", "mesh-system", Http(80)), Service("cart", "shop", Http(80))], [], Settings, "shop/web"));
        Assert.Equal(ResourceNames.PassthroughCluster, CatchAll(noTunnel).Cluster);
        Assert.Null(CatchAll(noTunnel).TunnelingConfig);
        Assert.Empty(noTunnel.Diagnostics); // a choice, not an error: no warning per scope build

        var unfenced = ListenerBuilder.BuildSidecarOutbound(new ScopeView("shop", [Service("mesh-lazy-egress", "mesh-system", Http(80), Tunnel()), Service("cart", "shop", Http(80))], [], Settings));
        Assert.Equal(ResourceNames.PassthroughCluster, CatchAll(unfenced).Cluster);
        Assert.Null(CatchAll(unfenced).TunnelingConfig);
    }

    [Fact]
    public void Egress_TunnelPort_TerminatesConnectToTheDialledAddress_LogsTheFence_AndIsNoHttpPort()
    {
        var built = ListenerBuilder.BuildLazyEgress(EgressView("mesh-system",
            Service("mesh-lazy-egress", "mesh-system", Http(80, 8080), Tunnel()), Service("cart", "shop", Http(80))));

        Assert.Equal(["0.0.0.0_15009", "0.0.0.0_8080"], built.Listeners.Select(l => l.Name));
        Assert.Single(built.Routes); // the tunnel's route is its own, inline: not a spliced HTTP route
        var listener = Parse<Listener>(built.Listeners.Single(l => l.Name == "0.0.0.0_15009"));
        Assert.True(listener.BindToPort);
        var manager = Manager(listener);
        Assert.Equal(["CONNECT"], manager.UpgradeConfigs.Select(u => u.UpgradeType));
        Assert.Equal(ListenerBuilder.LazySourceHeader, manager.AccessLog.Single().Filter.HeaderFilter.Header.Name);
        var routes = manager.RouteConfig.VirtualHosts.Single().Routes;
        var tunnel = routes[0];
        Assert.NotNull(tunnel.Match.ConnectMatcher);
        Assert.Equal(ListenerBuilder.OriginalDestinationHeader, tunnel.Match.Headers.Single().Name);
        Assert.Equal(ResourceNames.LazyOriginalDstCluster, tunnel.Route_.Cluster);
        var upgrade = tunnel.Route_.UpgradeConfigs.Single();
        Assert.Equal("CONNECT", upgrade.UpgradeType);
        Assert.NotNull(upgrade.ConnectConfig); // terminated: the bytes go on as TCP
        Assert.Equal(404u, routes[1].DirectResponse.Status);
        Assert.Contains(ResourceNames.LazyOriginalDstCluster, built.ClusterNames);
    }
}
