using Envoy.Config.Core.V3;
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
    public const string OriginalDstName = "envoy.filters.listener.original_dst";
    public const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>The only config source gRPC accepts (G-01, G-05): ADS, resource API v3.</summary>
    public static ConfigSource Ads() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    public static Address SocketAddress(string ip, int port) =>
        new() { SocketAddress = new SocketAddress { Address = ip, PortValue = (uint)port } };

    /// <summary>The router filter, last and only (G-03).</summary>
    public static Hcm.HttpFilter Router() => new() { Name = RouterName, TypedConfig = Any.Pack(new Router()) };

    /// <summary>An HttpConnectionManager that fetches <paramref name="routeName"/> over ADS.</summary>
    public static Hcm.HttpConnectionManager RdsManager(string statPrefix, string routeName) => new()
    {
        StatPrefix = statPrefix,
        Rds = new Hcm.Rds { ConfigSource = Ads(), RouteConfigName = routeName },
        HttpFilters = { Router() },
    };

    public static Listeners.Filter Network(Hcm.HttpConnectionManager manager) =>
        new() { Name = HttpConnectionManagerName, TypedConfig = Any.Pack(manager) };

    public static Listeners.Filter TcpProxy(string statPrefix, string cluster) => new()
    {
        Name = TcpProxyName,
        TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster }),
    };

    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value);
}
