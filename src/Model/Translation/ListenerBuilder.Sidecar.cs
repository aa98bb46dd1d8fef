using System.Collections.Immutable;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Services;
using Hcm = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Mesh.Model.Translation;

public static partial class ListenerBuilder
{
    private const string AnyAddress = "0.0.0.0";

    /// <summary>
    /// A whole sidecar: the outbound part of its scope (<see cref="BuildSidecarOutbound"/>) and the
    /// inbound part of its workload (<see cref="BuildInbound"/>) from <see cref="ScopeView.InboundPorts"/>,
    /// as one set. The grains build the two apart (a scope is shared by every workload whose
    /// outbound inputs are equal); this is their union, for tests and tools.
    /// </summary>
    public static ScopeResources BuildSidecar(ScopeView view)
    {
        var outbound = BuildSidecarOutbound(view);
        var inbound = BuildInbound(view.InboundPorts, view.Settings);
        return new ScopeResources(
            [.. outbound.Listeners.Concat(inbound.Listeners).OrderBy(l => l.Name, StringComparer.Ordinal)],
            outbound.Routes,
            [.. outbound.OwnClusters.Concat(inbound.Clusters)],
            [.. outbound.ClusterNames.Concat(inbound.Clusters.Select(c => c.Name)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [],
            outbound.Diagnostics);
    }

    /// <summary>
    /// The outbound part of a sidecar scope, shared by every workload whose namespace and Sidecar
    /// are equal: <c>0.0.0.0_PORT</c> HTTP listeners with route <c>PORT</c> spliced from the
    /// visible services' virtual hosts, <c>VIP_PORT</c> TCP listeners, <c>virtualOutbound</c>, the
    /// passthrough and blackhole clusters. Duplicate domains keep the first service by (namespace,
    /// hostname) and are reported, because Envoy NACKs a RouteConfiguration with a domain twice.
    /// <see cref="ScopeView.InboundPorts"/> is not read.
    /// </summary>
    public static ScopeResources BuildSidecarOutbound(ScopeView view)
    {
        var diagnostics = new List<string>();
        var services = (view.Services.IsDefault ? [] : view.Services)
            .OrderBy(s => s.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Hostname, StringComparer.Ordinal)
            .DistinctBy(s => s.Hostname, StringComparer.Ordinal)
            .ToList();
        var listeners = new List<XdsResource>();
        var routes = new List<XdsResource>();

        var egress = view.Lazy ? LazyEgress(view, services, diagnostics) : null;
        var httpPorts = services.SelectMany(s => s.VirtualHosts.IsDefault ? [] : s.VirtualHosts.Select(v => v.Port)).Distinct().Order();
        foreach (var port in httpPorts)
        {
            var listenerName = ResourceNames.OutboundListener(port);
            var routeName = ResourceNames.SidecarRoute(port);
            var listener = new Listener
            {
                Name = listenerName,
                Address = EnvoyFilters.SocketAddress(AnyAddress, port),
                BindToPort = false,
                TrafficDirection = TrafficDirection.Outbound,
                FilterChains = { new FilterChain { Filters = { EnvoyFilters.Network(view.Lazy
                    ? EnvoyFilters.RdsManager($"outbound_{listenerName}", routeName, EnvoyFilters.OnDemandClusters(OnDemandTimeout))
                    : EnvoyFilters.RdsManager($"outbound_{listenerName}", routeName)) } } },
            };
            listeners.Add(XdsResource.From(TypeUrls.Listener, listenerName, listener));
            routes.Add(SidecarRoute(view, services, port, egress, diagnostics));
        }

        AddVipListeners(services, listeners, diagnostics);
        var catchAll = view.Settings.AllowAnyOutbound ? ResourceNames.PassthroughCluster : ResourceNames.BlackHoleCluster;
        // An egress Service without the tunnel port is a choice (TCP keeps Istio's catch-all), not an error.
        var tunnel = egress is null ? null : LazyTunnel(egress, view.Settings);
        listeners.Add(VirtualOutbound(catchAll, tunnel is null ? null : (tunnel, view.Fence!)));

        var ownClusters = new List<XdsResource> { ClusterBuilder.BuildPassthrough(view.Settings), ClusterBuilder.BuildBlackHole(view.Settings) };
        var clusterNames = services
            .SelectMany(s => s.ClusterNames.IsDefault ? [] : s.ClusterNames)
            .Concat(ownClusters.Select(c => c.Name))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

        return new ScopeResources(
            [.. listeners.OrderBy(l => l.Name, StringComparer.Ordinal)],
            [.. routes],
            [.. ownClusters],
            [.. clusterNames],
            [],
            [.. diagnostics]);
    }

    /// <summary>
    /// The inbound part of one sidecar workload: <c>virtualInbound</c> with a filter chain per port
    /// the workload serves (its Services' target ports), and an <c>inbound|PORT||</c> cluster each.
    /// </summary>
    public static WorkloadResources BuildInbound(ImmutableArray<InboundPort> inboundPorts, MeshSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ports = (inboundPorts.IsDefault ? [] : inboundPorts).DistinctBy(p => p.Port).OrderBy(p => p.Port).ToList();
        return new WorkloadResources(
            [VirtualInbound(ports)],
            [.. ports.Select(p => ClusterBuilder.BuildInbound(p, settings))]);
    }

    private static XdsResource SidecarRoute(ScopeView view, List<ScopeService> services, int port, ScopeService? egress, List<string> diagnostics) =>
        SplicedRoute(
            ResourceNames.SidecarRoute(port),
            services.Select(s => (s, s.VirtualHosts.IsDefault ? null : s.VirtualHosts.FirstOrDefault(v => v.Port == port))),
            s => string.Equals(s.Namespace, view.Namespace, StringComparison.Ordinal),
            egress is null ? CatchAllHost(view.Settings.AllowAnyOutbound) : LazyEgressHost(egress, port, view.Fence!),
            diagnostics);

    /// <summary>
    /// A RouteConfiguration spliced from services' serialized virtual hosts (in the given order, which
    /// decides who keeps a domain two of them claim: the first, the other loses it with a diagnostic,
    /// because Envoy NACKs a domain twice), ordered by name, then <paramref name="last"/>.
    /// </summary>
    private static XdsResource SplicedRoute(
        string name, IEnumerable<(ScopeService Service, PortVirtualHost? Host)> candidates, Func<ScopeService, bool> sameNamespaceForms, VirtualHost last, List<string> diagnostics)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var chosen = new List<(string Name, ReadOnlyMemory<byte> Bytes)>();
        foreach (var (service, host) in candidates)
        {
            if (host is null)
            {
                continue;
            }
            ReadOnlyMemory<byte>? bytes = sameNamespaceForms(service) ? host.SameNamespace : host.OtherNamespace;
            var domains = VirtualHostBytes.ReadDomains(bytes.Value);
            var taken = domains.Where(owners.ContainsKey).ToHashSet(StringComparer.Ordinal);
            if (taken.Count > 0)
            {
                foreach (var domain in taken.Order(StringComparer.Ordinal))
                {
                    diagnostics.Add($"Route {name}: domain '{domain}' of {service.Hostname} is already served by {owners[domain]}; dropped from {host.Name}.");
                }
                bytes = VirtualHostBytes.WithoutDomains(bytes.Value, taken);
                if (bytes is null)
                {
                    continue;
                }
            }
            foreach (var domain in domains.Where(d => !taken.Contains(d)))
            {
                owners[domain] = service.Hostname;
            }
            chosen.Add((host.Name, bytes.Value));
        }
        var hosts = chosen.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Bytes).ToList();
        hosts.Add(last.ToByteArray());
        return RouteBuilder.BuildRouteConfiguration(name, hosts);
    }

    /// <summary>How long a fenced sidecar holds a request while it fetches a cluster on demand.</summary>
    public static readonly TimeSpan OnDemandTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Envoy's header for an ORIGINAL_DST cluster that routes by header: a fenced sidecar's fallback sets it to the address the application dialled.</summary>
    public const string OriginalDestinationHeader = "x-envoy-original-dst-host";

    /// <summary>The header a fenced sidecar's fallback route sets to its fence (<c>NAMESPACE/SERVICE</c>), for the egress's access log.</summary>
    public const string LazySourceHeader = "x-mesh-lazy-source";

    /// <summary>
    /// A fenced scope's lazy egress, which it always sees (its HTTP ports get listeners through its
    /// virtual hosts, so a call to any service on them reaches the fallback); null, with a
    /// diagnostic, when the mesh has no such service: the scope then keeps Istio's catch-all.
    /// </summary>
    private static ScopeService? LazyEgress(ScopeView view, List<ScopeService> services, List<string> diagnostics)
    {
        var egress = FindLazyEgress(view, services);
        if (egress is null || egress.VirtualHosts.IsDefaultOrEmpty)
        {
            diagnostics.Add($"Lazy egress {view.Settings.LazyEgressIn(view.Namespace)} or {view.Settings.LazyEgress} is not in the mesh (or serves no HTTP port): calls outside the fence take the {(view.Settings.AllowAnyOutbound ? "passthrough" : "blackhole")} route instead.");
            return null;
        }
        return egress;
    }

    /// <summary>The lazy egress of the view's namespace among its services: its own (namespace mode) before the configured one (cluster mode).</summary>
    private static ScopeService? FindLazyEgress(ScopeView view, IEnumerable<ScopeService> services)
    {
        var own = view.Settings.LazyEgressIn(view.Namespace);
        return services
            .Where(s => view.Settings.IsLazyEgressFor(s.Hostname, view.Namespace))
            .OrderBy(s => string.Equals(s.Hostname, own, StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .FirstOrDefault();
    }

    /// <summary>
    /// The last virtual host of a fenced scope (Slime's global-sidecar route): everything the fence
    /// does not hold goes to the lazy egress, on the same port when it serves it (else its first HTTP
    /// port), with the request's <c>Host</c> kept so the egress routes it with the full config.
    /// </summary>
    private static VirtualHost LazyEgressHost(ScopeService egress, int port, string fence)
    {
        var ports = egress.VirtualHosts.Select(v => v.Port).Order().ToList();
        var target = ports.Contains(port) ? port : ports[0];
        var route = new Route
        {
            Name = "lazy_egress",
            Match = new RouteMatch { Prefix = "/" },
            Route_ = new RouteAction { Cluster = ResourceNames.OutboundCluster(target, null, egress.Hostname), Timeout = new Duration() },
        };
        // Overwrites whatever the application sent: the egress's access log names the real fence, and
        // the egress can reach what the application dialled (a short name of another namespace than
        // the egress's own does not match its virtual hosts).
        route.RequestHeadersToAdd.Add(EnvoyFilters.SetHeader(LazySourceHeader, fence));
        route.RequestHeadersToAdd.Add(EnvoyFilters.SetHeader(OriginalDestinationHeader, "%DOWNSTREAM_LOCAL_ADDRESS%"));
        return new VirtualHost { Name = "lazy_egress", Domains = { "*" }, Routes = { route } };
    }

    /// <summary>Istio's last virtual host: <c>allow_any</c> to the passthrough cluster, or <c>block_all</c> (502) in REGISTRY_ONLY mode.</summary>
    private static VirtualHost CatchAllHost(bool allowAny)
    {
        var name = allowAny ? "allow_any" : "block_all";
        var route = new Route { Name = name, Match = new RouteMatch { Prefix = "/" } };
        if (allowAny)
        {
            route.Route_ = new RouteAction { Cluster = ResourceNames.PassthroughCluster, Timeout = new Duration() };
        }
        else
        {
            route.DirectResponse = new DirectResponseAction { Status = 502 };
        }
        return new VirtualHost { Name = name, Domains = { "*" }, Routes = { route } };
    }

    private static void AddVipListeners(List<ScopeService> services, List<XdsResource> listeners, List<string> diagnostics)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var ports = (service.Ports.IsDefault ? [] : service.Ports).Where(p => !p.Protocol.IsHttp()).DistinctBy(p => p.Port).OrderBy(p => p.Port);
            foreach (var port in ports)
            {
                foreach (var vip in (service.Addresses.IsDefault ? [] : service.Addresses).Distinct().Order(StringComparer.Ordinal))
                {
                    var name = ResourceNames.VipListener(vip, port.Port);
                    if (!owners.TryAdd(name, service.Hostname))
                    {
                        diagnostics.Add($"Listener {name}: {service.Hostname} shares {vip}:{port.Port} with {owners[name]}; kept the latter.");
                        continue;
                    }
                    var listener = OutboundTcpListener(name, vip, port.Port);
                    // VirtualService tls routes: a chain per SNI route first; everything else takes the tcp target.
                    AddSniChains(listener, service, port.Port, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                    if (listener.FilterChains.Count > 0)
                    {
                        listener.ListenerFilters.Add(TlsInspector());
                    }
                    listener.FilterChains.Add(new FilterChain { Filters = { TcpTargetProxy(service, port.Port) } });
                    listeners.Add(XdsResource.From(TypeUrls.Listener, name, listener));
                }
            }
        }
        AddSniListeners(services, listeners, diagnostics);
    }

    /// <summary>
    /// As Istio for services without addresses (a ServiceEntry of external TLS hosts): per TLS or
    /// HTTPS port a listener <c>0.0.0.0_PORT</c> routing by SNI — each service's tls routes, then its
    /// own host name to its own cluster — so such traffic gets the service's cluster (and policy)
    /// rather than the passthrough catch-all. A port an HTTP listener holds is left to it.
    /// </summary>
    private static void AddSniListeners(List<ScopeService> services, List<XdsResource> listeners, List<string> diagnostics)
    {
        var tlsPorts = services
            .Where(s => s.Addresses.IsDefaultOrEmpty)
            .SelectMany(s => (s.Ports.IsDefault ? [] : s.Ports).Where(p => p.Protocol is Protocol.Tls or Protocol.Https).Select(p => (Service: s, Port: p.Port)))
            .GroupBy(x => x.Port)
            .OrderBy(g => g.Key);
        foreach (var group in tlsPorts)
        {
            var name = ResourceNames.OutboundListener(group.Key);
            if (listeners.Any(l => l.Name == name))
            {
                diagnostics.Add($"Listener {name}: TLS services {string.Join(", ", group.Select(x => x.Service.Hostname))} share port {group.Key} with HTTP services; their connections take the HTTP listener.");
                continue;
            }
            var listener = OutboundTcpListener(name, AnyAddress, group.Key);
            var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (service, port) in group)
            {
                AddSniChains(listener, service, port, taken);
                if (taken.Add(service.Hostname))
                {
                    var chain = new FilterChain { FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls" }, Filters = { TcpTargetProxy(service, port) } };
                    chain.FilterChainMatch.ServerNames.Add(service.Hostname);
                    listener.FilterChains.Add(chain);
                }
            }
            listener.ListenerFilters.Add(TlsInspector());
            listeners.Add(XdsResource.From(TypeUrls.Listener, name, listener));
        }
    }

    /// <summary>The filter chains of a service's tls routes on <paramref name="port"/> (names in <paramref name="taken"/> skipped); the listener needs the TLS inspector.</summary>
    private static void AddSniChains(Listener listener, ScopeService service, int port, HashSet<string> taken)
    {
        foreach (var route in (service.SniRoutes.IsDefault ? [] : service.SniRoutes).Where(r => r.Port == port))
        {
            var names = route.SniHosts.Where(taken.Add).ToList();
            if (names.Count == 0)
            {
                continue;
            }
            var chain = new FilterChain
            {
                FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls" },
                Filters = { TcpProxyTo(route.Clusters[0].Name, route.Clusters) },
            };
            chain.FilterChainMatch.ServerNames.Add(names);
            listener.FilterChains.Add(chain);
        }
    }

    /// <summary>An outbound listener for captured connections to <paramref name="ip"/>:<paramref name="port"/> (not bound), its filter chains to add.</summary>
    private static Listener OutboundTcpListener(string name, string ip, int port) => new()
    {
        Name = name,
        Address = EnvoyFilters.SocketAddress(ip, port),
        BindToPort = false,
        TrafficDirection = TrafficDirection.Outbound,
    };

    /// <summary>A tcp_proxy to one cluster, or split by weight over several.</summary>
    private static Filter TcpProxyTo(string statPrefix, ImmutableArray<TcpCluster> clusters) =>
        clusters.Length == 1 ? EnvoyFilters.TcpProxy(clusters[0].Name, clusters[0].Name) : EnvoyFilters.WeightedTcpProxy(statPrefix, clusters.Select(c => (c.Name, (uint)c.Weight)));

    private static ListenerFilter TlsInspector() =>
        new() { Name = GatewayTls.InspectorName, TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector()) };

    /// <summary>The tcp_proxy of a service's port: its VirtualService tcp route's destinations (TcpRouteTranslator), else its own cluster.</summary>
    private static Filter TcpTargetProxy(ScopeService service, int port)
    {
        var cluster = ResourceNames.OutboundCluster(port, null, service.Hostname);
        var target = (service.TcpTargets.IsDefault ? [] : service.TcpTargets).FirstOrDefault(t => t.Port == port);
        return target is null ? EnvoyFilters.TcpProxy(cluster, cluster) : TcpProxyTo(cluster, target.Clusters);
    }

    /// <summary>The cluster of the lazy egress's tunnel port (<see cref="MeshSettings.LazyTunnelPort"/>), or null when its Service has none.</summary>
    private static string? LazyTunnel(ScopeService egress, MeshSettings settings) =>
        (egress.Ports.IsDefault ? [] : egress.Ports).Any(p => p.Port == settings.LazyTunnelPort)
            ? ResourceNames.OutboundCluster(settings.LazyTunnelPort, null, egress.Hostname)
            : null;

    /// <summary>
    /// A fenced sidecar's TCP to a port outside its fence: tunnelled to the lazy egress as an HTTP
    /// CONNECT for the address the application dialled, with the fence named (the egress's access
    /// log sees it), so the first connection succeeds one hop longer, as its HTTP calls do.
    /// </summary>
    private static Filter LazyTunnelProxy(string cluster, string fence) =>
        EnvoyFilters.TcpTunnel("lazy_egress_tunnel", cluster, "%DOWNSTREAM_LOCAL_ADDRESS%",
            [(OriginalDestinationHeader, "%DOWNSTREAM_LOCAL_ADDRESS%"), (LazySourceHeader, fence)]);

    private static XdsResource VirtualOutbound(string catchAllCluster, (string Cluster, string Fence)? tunnel = null)
    {
        var listener = new Listener
        {
            Name = ResourceNames.VirtualOutbound,
            Address = EnvoyFilters.SocketAddress(AnyAddress, ResourceNames.VirtualOutboundPort),
            UseOriginalDst = true,
            TrafficDirection = TrafficDirection.Outbound,
            FilterChains =
            {
                new FilterChain
                {
                    Name = "virtualOutbound-catchall-tcp",
                    Filters = { tunnel is var (cluster, fence) ? LazyTunnelProxy(cluster, fence) : EnvoyFilters.TcpProxy(catchAllCluster, catchAllCluster) },
                },
            },
        };
        return XdsResource.From(TypeUrls.Listener, ResourceNames.VirtualOutbound, listener);
    }

    private static XdsResource VirtualInbound(List<InboundPort> ports)
    {
        var listener = new Listener
        {
            Name = ResourceNames.VirtualInbound,
            Address = EnvoyFilters.SocketAddress(AnyAddress, ResourceNames.VirtualInboundPort),
            TrafficDirection = TrafficDirection.Inbound,
            ListenerFilters = { new ListenerFilter { Name = EnvoyFilters.OriginalDstName, TypedConfig = Any.Pack(new OriginalDst()) } },
            DefaultFilterChain = new FilterChain
            {
                Name = "virtualInbound-catchall-tcp",
                Filters = { EnvoyFilters.TcpProxy(ResourceNames.PassthroughCluster, ResourceNames.PassthroughCluster) },
            },
        };
        foreach (var port in ports)
        {
            var cluster = ResourceNames.InboundCluster(port.Port);
            listener.FilterChains.Add(new FilterChain
            {
                Name = cluster,
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port.Port },
                Filters = { port.Protocol.IsHttp() ? EnvoyFilters.Network(InboundManager(port.Port, cluster)) : EnvoyFilters.TcpProxy(cluster, cluster) },
            });
        }
        return XdsResource.From(TypeUrls.Listener, ResourceNames.VirtualInbound, listener);
    }

    private static Hcm.HttpConnectionManager InboundManager(int port, string cluster) => new()
    {
        StatPrefix = $"inbound_{AnyAddress}_{port}",
        RouteConfig = new RouteConfiguration
        {
            Name = cluster,
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = $"inbound|http|{port}",
                    Domains = { "*" },
                    Routes = { HttpRouteTranslator.Default(cluster) },
                },
            },
        },
        HttpFilters = { EnvoyFilters.Router() },
    };
}
