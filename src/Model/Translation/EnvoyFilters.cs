using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.OnDemand.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Hcm = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Listeners = Envoy.Config.Listener.V3;

namespace Mesh.Model.Translation;

/// <summary>Small Envoy building blocks shared by the builders: ADS config sources, addresses and filters.</summary>
internal static class EnvoyFilters
{
    public const string HttpConnectionManagerName = "envoy.filters.network.http_connection_manager";
    public const string TcpProxyName = "envoy.filters.network.tcp_proxy";
    public const string RouterName = "envoy.filters.http.router";
    public const string OnDemandName = "envoy.filters.http.on_demand";
    public const string FaultName = "envoy.filters.http.fault";
    public const string CorsName = "envoy.filters.http.cors";
    public const string OriginalDstName = "envoy.filters.listener.original_dst";
    public const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>The only config source gRPC accepts (G-01, G-05): ADS, resource API v3.</summary>
    public static ConfigSource Ads() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    public static Address SocketAddress(string ip, int port) =>
        new() { SocketAddress = new SocketAddress { Address = ip, PortValue = (uint)port } };

    /// <summary>The router filter, last and only (G-03).</summary>
    public static Hcm.HttpFilter Router() => new() { Name = RouterName, TypedConfig = Any.Pack(new Router()) };

    /// <summary>
    /// Envoy's <c>on_demand</c> filter with on-demand CDS over ADS: a request whose route names a
    /// cluster the proxy does not hold is paused while the proxy subscribes to it (a delta CDS
    /// subscription, which Mesh answers and learns from), instead of failing with "no cluster".
    /// </summary>
    public static Hcm.HttpFilter OnDemandClusters(TimeSpan timeout) => new()
    {
        Name = OnDemandName,
        TypedConfig = Any.Pack(new OnDemand { Odcds = new OnDemandCds { Source = Ads(), Timeout = Duration.FromTimeSpan(timeout) } }),
    };

    /// <summary>
    /// Envoy's fault filter with no fault of its own: routes inject faults through their
    /// per-filter config under <see cref="FaultName"/>, as Istio does. Always present (on sidecars,
    /// routers and proxyless API listeners, gRFC A33), so adding a fault to a route changes only the
    /// route, never the listener.
    /// </summary>
    public static Hcm.HttpFilter Fault() => new() { Name = FaultName, TypedConfig = Any.Pack(new HTTPFault()) };

    /// <summary>Envoy's CORS filter with no policy of its own: routes carry theirs under <see cref="CorsName"/> (Istio 1.20 and later).</summary>
    public static Hcm.HttpFilter Cors() => new() { Name = CorsName, TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Http.Cors.V3.Cors()) };

    /// <summary>
    /// An Envoy HttpConnectionManager that fetches <paramref name="routeName"/> over ADS: the fault
    /// and CORS filters (Istio's order), then <paramref name="filters"/>, then the router.
    /// </summary>
    public static Hcm.HttpConnectionManager RdsManager(string statPrefix, string routeName, params Hcm.HttpFilter[] filters)
    {
        var manager = new Hcm.HttpConnectionManager
        {
            StatPrefix = statPrefix,
            Rds = new Hcm.Rds { ConfigSource = Ads(), RouteConfigName = routeName },
        };
        manager.HttpFilters.Add(Fault());
        manager.HttpFilters.Add(Cors());
        manager.HttpFilters.Add(filters);
        manager.HttpFilters.Add(Router());
        return manager;
    }

    /// <summary>
    /// A proxyless gRPC API listener's HttpConnectionManager: the fault filter (gRFC A33), then the
    /// router. No CORS filter: gRPC NACKs a filter type it does not know (G-03).
    /// </summary>
    public static Hcm.HttpConnectionManager ProxylessManager(string routeName)
    {
        var manager = new Hcm.HttpConnectionManager
        {
            StatPrefix = routeName,
            Rds = new Hcm.Rds { ConfigSource = Ads(), RouteConfigName = routeName },
        };
        manager.HttpFilters.Add(Fault());
        manager.HttpFilters.Add(Router());
        return manager;
    }

    public static Listeners.Filter Network(Hcm.HttpConnectionManager manager) =>
        new() { Name = HttpConnectionManagerName, TypedConfig = Any.Pack(manager) };

    public static Listeners.Filter TcpProxy(string statPrefix, string cluster) => new()
    {
        Name = TcpProxyName,
        TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster }),
    };

    /// <summary>A tcp_proxy splitting connections over <paramref name="clusters"/> by weight (a VirtualService tcp route with several destinations).</summary>
    public static Listeners.Filter WeightedTcpProxy(string statPrefix, IEnumerable<(string Name, uint Weight)> clusters)
    {
        var weighted = new TcpProxy.Types.WeightedCluster();
        foreach (var (name, weight) in clusters)
        {
            weighted.Clusters.Add(new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = name, Weight = weight });
        }
        return new() { Name = TcpProxyName, TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, WeightedClusters = weighted }) };
    }

    /// <summary>A tcp_proxy that tunnels the connection to <paramref name="cluster"/> as an HTTP CONNECT for <paramref name="hostname"/>, with <paramref name="headers"/> (command operators allowed).</summary>
    public static Listeners.Filter TcpTunnel(string statPrefix, string cluster, string hostname, IEnumerable<(string Key, string Value)> headers)
    {
        var tunnel = new TcpProxy.Types.TunnelingConfig { Hostname = hostname };
        foreach (var (key, value) in headers)
        {
            tunnel.HeadersToAdd.Add(SetHeader(key, value));
        }
        return new Listeners.Filter
        {
            Name = TcpProxyName,
            TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster, TunnelingConfig = tunnel }),
        };
    }

    /// <summary>A header added to a request, replacing any value the client sent (command operators allowed in <paramref name="value"/>).</summary>
    public static HeaderValueOption SetHeader(string key, string value) => new()
    {
        Header = new HeaderValue { Key = key, Value = value },
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };

    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value);
}
