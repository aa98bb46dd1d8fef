using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;

namespace Mesh.Model.Translation;

public static partial class ListenerBuilder
{
    /// <summary>
    /// A router (ingress gateway): per distinct Gateway server port a bound listener <c>0.0.0.0_PORT</c>:
    /// a filter chain per HTTPS server that terminates TLS (matched by SNI, route
    /// <c>https.PORT.PORTNAME.GATEWAY.NAMESPACE</c>) and one for the plain-text HTTP servers (route
    /// <c>http.PORT</c>), each route with one virtual host per VirtualService host its servers admit,
    /// routes from the VirtualServices bound to those Gateways. <see cref="ScopeResources.ClusterNames"/>
    /// are the clusters the routes reference.
    /// </summary>
    public static ScopeResources BuildRouter(RouterView view)
    {
        var diagnostics = new List<string>();
        var gateways = (view.Gateways.IsDefault ? [] : view.Gateways)
            .OrderBy(g => g.Meta.Namespace, StringComparer.Ordinal).ThenBy(g => g.Meta.Name, StringComparer.Ordinal).ToList();
        var virtualServices = (view.VirtualServices.IsDefault ? [] : view.VirtualServices)
            .OrderBy(v => v.Meta.Namespace, StringComparer.Ordinal).ThenBy(v => v.Meta.Name, StringComparer.Ordinal).ToList();
        var serversByPort = gateways
            .SelectMany(g => (g.Servers.IsDefault ? [] : g.Servers).Select(s => (Gateway: g, Server: s)))
            .GroupBy(x => x.Server.Port.Number)
            .OrderBy(g => g.Key);

        var listeners = new List<XdsResource>();
        var routes = new List<XdsResource>();
        var clusters = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var group in serversByPort)
        {
            var port = group.Key;
            var listenerName = ResourceNames.OutboundListener(port);
            var listener = new Listener { Name = listenerName, Address = EnvoyFilters.SocketAddress(AnyAddress, port), BindToPort = true };
            var servers = group.ToList();

            // HTTPS servers that terminate TLS: a filter chain each, chosen by SNI, with its own routes (as Istio names them).
            foreach (var (gateway, server) in servers.Where(s => GatewayTls.Terminates(s.Server)))
            {
                var routeName = ResourceNames.GatewayHttpsRoute(port, server.Port.Name, gateway.Meta.Name, gateway.Meta.Namespace);
                var chain = new FilterChain
                {
                    FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls" },
                    TransportSocket = GatewayTls.TransportSocket(server.Tls!),
                    Filters = { EnvoyFilters.Network(EnvoyFilters.RdsManager($"outbound_{listenerName}", routeName)) },
                };
                chain.FilterChainMatch.ServerNames.Add(GatewayTls.ServerNames(server));
                listener.FilterChains.Add(chain);
                routes.Add(RouterRoutes(view, routeName, [(gateway, server)], virtualServices, port, redirect: [], clusters, diagnostics));
            }
            if (listener.FilterChains.Count > 0)
            {
                listener.ListenerFilters.Add(new ListenerFilter { Name = GatewayTls.InspectorName, TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector()) });
            }

            // Plain-text HTTP servers share one chain and route table; a server with httpsRedirect makes its hosts redirect to HTTPS.
            var plain = servers.Where(s => GatewayTls.ServesPlainHttp(s.Server)).ToList();
            if (plain.Count > 0)
            {
                var routeName = ResourceNames.GatewayRoute(port);
                listener.FilterChains.Add(new FilterChain { Filters = { EnvoyFilters.Network(EnvoyFilters.RdsManager($"outbound_{listenerName}", routeName)) } });
                routes.Add(RouterRoutes(view, routeName, plain, virtualServices, port, plain.Where(s => s.Server.Tls?.HttpsRedirect == true).ToList(), clusters, diagnostics));
            }
            if (listener.FilterChains.Count > 0)
            {
                listeners.Add(XdsResource.From(TypeUrls.Listener, listenerName, listener));
            }
        }
        return new ScopeResources([.. listeners], [.. routes], [], [.. clusters], [], [.. diagnostics]);
    }

    /// <summary>
    /// A route table of a router: one virtual host per VirtualService host the servers admit, with
    /// the routes of the VirtualServices bound to their Gateways; a host a redirecting server admits
    /// requires TLS (Envoy answers 301 to https), as Istio's <c>httpsRedirect</c>.
    /// </summary>
    private static XdsResource RouterRoutes(
        RouterView view, string routeName, List<(Gateway Gateway, GatewayServer Server)> servers, List<VirtualService> virtualServices, int port,
        List<(Gateway Gateway, GatewayServer Server)> redirect, SortedSet<string> clusters, List<string> diagnostics)
    {
        var hosts = GatewayHosts(view, servers, virtualServices, port, diagnostics);
        var redirected = redirect.Count == 0 ? [] : GatewayHosts(view, redirect, virtualServices, port, []).Keys.ToHashSet(StringComparer.Ordinal);
        var config = new RouteConfiguration { Name = routeName };
        foreach (var (host, hostRoutes) in hosts)
        {
            var name = ResourceNames.HostPort(host, port);
            var virtualHost = new VirtualHost
            {
                Name = name,
                Domains = { host == "*" ? ["*"] : [host, name] },
                Routes = { hostRoutes },
            };
            if (redirected.Contains(host))
            {
                virtualHost.RequireTls = VirtualHost.Types.TlsRequirementType.All;
            }
            config.VirtualHosts.Add(virtualHost);
            foreach (var action in hostRoutes.Where(r => r.Route_ is not null).Select(r => r.Route_))
            {
                if (action.Cluster.Length > 0)
                {
                    clusters.Add(action.Cluster);
                }
                clusters.UnionWith(action.WeightedClusters?.Clusters.Select(c => c.Name) ?? []);
            }
        }
        return XdsResource.From(TypeUrls.Route, routeName, config);
    }

    private static SortedDictionary<string, List<Route>> GatewayHosts(
        RouterView view, List<(Gateway Gateway, GatewayServer Server)> servers, List<VirtualService> virtualServices, int port, List<string> diagnostics)
    {
        var hosts = new SortedDictionary<string, List<Route>>(StringComparer.Ordinal);
        foreach (var vs in virtualServices)
        {
            var bound = servers.Where(s => Binds(vs, s.Gateway)).ToList();
            if (bound.Count == 0)
            {
                continue;
            }
            var names = bound.SelectMany(s => GatewayNames(s.Gateway)).ToHashSet(StringComparer.Ordinal);
            var context = new HttpRouteTranslator.Context(
                port,
                view.Settings.DomainSuffix,
                HeaderMatcherForm.StringMatch,
                match => match.Gateways.IsDefaultOrEmpty || match.Gateways.Any(names.Contains),
                (host, _) => view.DestinationPorts.TryGetValue(host, out var ports) && ports.Length == 1 ? ports[0].Port : null,
                diagnostics,
                view.DestinationPorts.ContainsKey,
                DefaultRetryAttempts: view.Settings.DefaultRetryAttempts);
            var translated = HttpRouteTranslator.Translate([vs], context);
            var vsHosts = (vs.Hosts.IsDefault ? [] : vs.Hosts).Distinct().Order(StringComparer.Ordinal);
            foreach (var host in vsHosts.Where(h => bound.Any(s => Admits(s.Gateway, s.Server, vs, h))))
            {
                if (!hosts.TryGetValue(host, out var list))
                {
                    hosts[host] = list = [];
                }
                list.AddRange(translated.Select(r => r.Clone()));
            }
        }
        return hosts;
    }

    /// <summary>The names a VirtualService may use for a Gateway: <c>ns/name</c>, or <c>name</c> from the same namespace.</summary>
    private static IEnumerable<string> GatewayNames(Gateway gateway) =>
        [$"{gateway.Meta.Namespace}/{gateway.Meta.Name}", gateway.Meta.Name];

    private static bool Binds(VirtualService vs, Gateway gateway) =>
        !vs.Gateways.IsDefaultOrEmpty && vs.Gateways.Any(g =>
            g == $"{gateway.Meta.Namespace}/{gateway.Meta.Name}"
            || (g == gateway.Meta.Name && vs.Meta.Namespace == gateway.Meta.Namespace));

    /// <summary>Server hosts are <c>[ns/]host</c>; <c>*</c> admits every host, <c>*.suffix</c> hosts under it.</summary>
    private static bool Admits(Gateway gateway, GatewayServer server, VirtualService vs, string host) =>
        !server.Hosts.IsDefaultOrEmpty && server.Hosts.Any(entry =>
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var ns = slash < 0 ? "*" : entry[..slash];
            var pattern = slash < 0 ? entry : entry[(slash + 1)..];
            var nsOk = ns == "*" || ns == vs.Meta.Namespace || (ns == "." && vs.Meta.Namespace == gateway.Meta.Namespace);
            return nsOk && (pattern == "*" || pattern == host
                || (pattern.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(pattern[1..], StringComparison.Ordinal)));
        });
}
