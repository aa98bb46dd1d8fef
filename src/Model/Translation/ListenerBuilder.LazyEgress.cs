using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.AccessLoggers.Grpc.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Services;
using Hcm = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Mesh.Model.Translation;

public static partial class ListenerBuilder
{
    /// <summary>The access logger the lazy egress streams its fallback requests with.</summary>
    public const string GrpcAccessLoggerName = "envoy.access_loggers.http_grpc";

    /// <summary>The <c>log_name</c> of the lazy egress's access log stream.</summary>
    public const string LazyAccessLogName = "mesh-lazy-egress";

    /// <summary>
    /// The lazy egress (Slime's global sidecar): the full outbound config of its namespace, so that a
    /// fenced sidecar's first call outside its fence succeeds one hop longer. Per HTTP port of the
    /// egress service a bound listener on its target port; its route holds every service's virtual
    /// host for that port (the first port's also every other port's, since a fenced sidecar falls
    /// back to it for ports the egress does not serve), then a last virtual host that sends the
    /// request where the application dialled (the <c>x-envoy-original-dst-host</c> the fallback set;
    /// a request without it gets 404 rather than loop). Each HTTP connection manager streams the
    /// requests that carry <c>x-mesh-lazy-source</c> to Mesh's access log receiver over
    /// <see cref="MeshSettings.LazyAccessLogCluster"/>, which is how fences learn. A cluster-mode
    /// egress serves other namespaces' services by their FQDN and <c>name.namespace</c> forms only:
    /// a bare name is the caller's namespace's, which the egress cannot know (the original
    /// destination reaches it instead).
    /// </summary>
    public static ScopeResources BuildLazyEgress(ScopeView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var diagnostics = new List<string>();
        var all = (view.Services.IsDefault ? [] : view.Services)
            .OrderBy(s => s.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Hostname, StringComparer.Ordinal)
            .DistinctBy(s => s.Hostname, StringComparer.Ordinal)
            .ToList();
        var egress = FindLazyEgress(view, all);
        if (egress is null)
        {
            diagnostics.Add($"The lazy egress service ({view.Settings.LazyEgressIn(view.Namespace)} or {view.Settings.LazyEgress}) is gone: its proxies get no listeners.");
            return new ScopeResources([], [], [], [], [], [.. diagnostics]);
        }
        var namespaceMode = !string.Equals(egress.Hostname, view.Settings.LazyEgress, StringComparison.OrdinalIgnoreCase);
        var services = all.Where(s => !view.Settings.IsLazyEgressFor(s.Hostname, view.Namespace)).ToList();
        var tunnelPort = (egress.Ports.IsDefault ? [] : egress.Ports).FirstOrDefault(p => p.Port == view.Settings.LazyTunnelPort);
        var ports = (egress.Ports.IsDefault ? [] : egress.Ports).Where(p => p.Protocol.IsHttp() && p != tunnelPort).DistinctBy(p => p.TargetPort ?? p.Port).OrderBy(p => p.Port).ToList();
        if (ports.Count == 0)
        {
            diagnostics.Add($"The lazy egress service {egress.Hostname} serves no HTTP port: its proxies get no listeners.");
        }
        var servicePorts = services.SelectMany(s => s.VirtualHosts.IsDefault ? [] : s.VirtualHosts.Select(v => v.Port)).Distinct().Order().ToList();

        var listeners = new List<XdsResource>();
        var routes = new List<XdsResource>();
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var bind = port.TargetPort ?? port.Port;
            var listenerName = ResourceNames.OutboundListener(bind);
            var routeName = ResourceNames.SidecarRoute(port.Port);
            var manager = EnvoyFilters.RdsManager($"lazy_egress_{bind}", routeName);
            manager.AccessLog.Add(FallbackAccessLog(view.Settings));
            listeners.Add(XdsResource.From(TypeUrls.Listener, listenerName, new Listener
            {
                Name = listenerName,
                Address = EnvoyFilters.SocketAddress(AnyAddress, bind),
                BindToPort = true,
                TrafficDirection = TrafficDirection.Outbound,
                FilterChains = { new FilterChain { Filters = { EnvoyFilters.Network(manager) } } },
            }));
            // Its own port first (it keeps a domain two ports claim), then the others on the first port.
            var routed = i == 0 ? servicePorts.OrderBy(p => p == port.Port ? 0 : 1).ThenBy(p => p).ToList() : [port.Port];
            routes.Add(SplicedRoute(
                routeName,
                routed.SelectMany(p => services.Select(s => (s, s.VirtualHosts.IsDefault ? null : s.VirtualHosts.FirstOrDefault(v => v.Port == p)))),
                s => namespaceMode && string.Equals(s.Namespace, view.Namespace, StringComparison.Ordinal),
                OriginalDestinationHost(),
                diagnostics));
        }

        if (tunnelPort is not null)
        {
            listeners.Add(TunnelListener(tunnelPort.TargetPort ?? tunnelPort.Port, view.Settings));
        }

        var own = ClusterBuilder.BuildLazyOriginalDst(view.Settings);
        var clusterNames = services
            .SelectMany(s => s.ClusterNames.IsDefault ? [] : s.ClusterNames)
            .Append(own.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return new ScopeResources([.. listeners.OrderBy(l => l.Name, StringComparer.Ordinal)], [.. routes], [own], [.. clusterNames], [], [.. diagnostics]);
    }

    /// <summary>
    /// The egress's tunnel listener (<see cref="MeshSettings.LazyTunnelPort"/>): fenced sidecars' TCP
    /// to ports outside their fence arrives as HTTP CONNECT; the CONNECT is terminated and its bytes
    /// go to the address the sidecar's application dialled (<c>x-envoy-original-dst-host</c>), and
    /// the access log names the fence. Anything but a CONNECT carrying that header gets 404.
    /// </summary>
    private static XdsResource TunnelListener(int bind, MeshSettings settings)
    {
        var name = ResourceNames.OutboundListener(bind);
        var manager = new Hcm.HttpConnectionManager
        {
            StatPrefix = $"lazy_egress_tunnel_{bind}",
            UpgradeConfigs = { new Hcm.HttpConnectionManager.Types.UpgradeConfig { UpgradeType = "CONNECT" } },
            RouteConfig = new RouteConfiguration
            {
                Name = $"lazy_egress_tunnel_{bind}",
                VirtualHosts =
                {
                    new VirtualHost
                    {
                        Name = "lazy_egress_tunnel",
                        Domains = { "*" },
                        Routes =
                        {
                            new Route
                            {
                                Name = "tunnel_original_dst",
                                Match = new RouteMatch
                                {
                                    ConnectMatcher = new RouteMatch.Types.ConnectMatcher(),
                                    Headers = { new HeaderMatcher { Name = OriginalDestinationHeader, PresentMatch = true } },
                                },
                                Route_ = new RouteAction
                                {
                                    Cluster = ResourceNames.LazyOriginalDstCluster,
                                    Timeout = new Duration(),
                                    UpgradeConfigs =
                                    {
                                        new RouteAction.Types.UpgradeConfig { UpgradeType = "CONNECT", ConnectConfig = new RouteAction.Types.UpgradeConfig.Types.ConnectConfig() },
                                    },
                                },
                            },
                            new Route { Name = "no_route", Match = new RouteMatch { Prefix = "/" }, DirectResponse = new DirectResponseAction { Status = 404 } },
                        },
                    },
                },
            },
        };
        manager.AccessLog.Add(FallbackAccessLog(settings));
        manager.HttpFilters.Add(EnvoyFilters.Router());
        return XdsResource.From(TypeUrls.Listener, name, new Listener
        {
            Name = name,
            Address = EnvoyFilters.SocketAddress(AnyAddress, bind),
            BindToPort = true,
            TrafficDirection = TrafficDirection.Outbound,
            FilterChains = { new FilterChain { Filters = { EnvoyFilters.Network(manager) } } },
        });
    }

    /// <summary>The egress's last virtual host: to the original destination when the fallback named it, else 404.</summary>
    private static VirtualHost OriginalDestinationHost() => new()
    {
        Name = "lazy_egress_original_dst",
        Domains = { "*" },
        Routes =
        {
            new Route
            {
                Name = "original_dst",
                Match = new RouteMatch { Prefix = "/", Headers = { new HeaderMatcher { Name = OriginalDestinationHeader, PresentMatch = true } } },
                Route_ = new RouteAction { Cluster = ResourceNames.LazyOriginalDstCluster, Timeout = new Duration() },
            },
            new Route
            {
                Name = "no_route",
                Match = new RouteMatch { Prefix = "/" },
                DirectResponse = new DirectResponseAction { Status = 404 },
            },
        },
    };

    /// <summary>The egress's access log: requests that came through a fence's fallback, streamed to Mesh with the fence header.</summary>
    private static AccessLog FallbackAccessLog(MeshSettings settings) => new()
    {
        Name = GrpcAccessLoggerName,
        Filter = new AccessLogFilter { HeaderFilter = new HeaderFilter { Header = new HeaderMatcher { Name = LazySourceHeader, PresentMatch = true } } },
        TypedConfig = Any.Pack(new HttpGrpcAccessLogConfig
        {
            CommonConfig = new CommonGrpcAccessLogConfig
            {
                LogName = LazyAccessLogName,
                GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = settings.LazyAccessLogCluster } },
                TransportApiVersion = ApiVersion.V3,
            },
            AdditionalRequestHeadersToLog = { LazySourceHeader },
        }),
    };
}
