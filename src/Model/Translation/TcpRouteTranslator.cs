using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>Where a sidecar's TCP listener for one of a service's ports sends connections: one cluster, or several by weight.</summary>
public sealed record TcpTarget(int Port, ImmutableArray<TcpCluster> Clusters);

/// <summary>A VirtualService <c>tls</c> route on one port: connections whose SNI is one of <see cref="SniHosts"/> go to <see cref="Clusters"/>.</summary>
public sealed record SniRoute(int Port, ImmutableArray<string> SniHosts, ImmutableArray<TcpCluster> Clusters);

/// <summary>A cluster of a TCP target and its weight (any non-negative numbers, split in proportion as Envoy does).</summary>
public sealed record TcpCluster(string Name, int Weight);

/// <summary>
/// VirtualService <c>tcp</c> routes as Istio applies them on a sidecar's outbound TCP listeners: for
/// each non-HTTP port of the service, the first route (VirtualServices by namespace and name, routes
/// in order) whose match names that port or no port sends the connections to its destinations
/// (host, subset and port; the listener's port when the destination names none).
/// </summary>
public static class TcpRouteTranslator
{
    /// <summary>The targets of the ports a tcp route changes (a port without one goes to its own cluster).</summary>
    public static ImmutableArray<TcpTarget> Targets(ServiceTranslationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var virtualServices = Ordered(input, v => !v.Tcp.IsDefaultOrEmpty);
        if (virtualServices.Count == 0)
        {
            return [];
        }
        var result = ImmutableArray.CreateBuilder<TcpTarget>();
        foreach (var port in RouteBuilder.Ports(input.Service).Where(p => !p.Protocol.IsHttp()))
        {
            var found = virtualServices
                .SelectMany(vs => vs.Tcp.Where(r => (r.Port is null || r.Port == port.Port) && !r.Route.IsDefaultOrEmpty).Select(r => (vs, r)))
                .FirstOrDefault();
            if (found.r is not { } route)
            {
                continue;
            }
            var clusters = Clusters(route.Route, found.vs.Meta.Namespace, port.Port, input.Settings.DomainSuffix);
            result.Add(new TcpTarget(port.Port, clusters.IsEmpty ? [new TcpCluster(ResourceNames.OutboundCluster(port.Port, null, input.Service.Hostname), 1)] : clusters));
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// VirtualService <c>tls</c> routes as Istio applies them on sidecars: for each non-HTTP port, a
    /// filter chain per route match naming the port or none, chosen by SNI (a name taken by an
    /// earlier route stays with it), passing the connection through to the route's destinations.
    /// </summary>
    public static ImmutableArray<SniRoute> SniRoutes(ServiceTranslationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var virtualServices = Ordered(input, v => !v.Tls.IsDefaultOrEmpty);
        if (virtualServices.Count == 0)
        {
            return [];
        }
        var result = ImmutableArray.CreateBuilder<SniRoute>();
        foreach (var port in RouteBuilder.Ports(input.Service).Where(p => !p.Protocol.IsHttp()))
        {
            var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var vs in virtualServices)
            {
                foreach (var route in vs.Tls.Where(r => !r.Route.IsDefaultOrEmpty))
                {
                    var names = route.Match.IsDefault ? [] : route.Match
                        .Where(m => m.Port is null || m.Port == port.Port)
                        .SelectMany(m => m.SniHosts.IsDefault ? [] : m.SniHosts)
                        .Where(taken.Add)
                        .ToImmutableArray();
                    if (names.IsEmpty)
                    {
                        continue;
                    }
                    var clusters = Clusters(route.Route, vs.Meta.Namespace, port.Port, input.Settings.DomainSuffix);
                    if (!clusters.IsEmpty)
                    {
                        result.Add(new SniRoute(port.Port, names, clusters));
                    }
                }
            }
        }
        return result.ToImmutable();
    }

    /// <summary>The service's VirtualServices that <paramref name="has"/> selects, by namespace and name.</summary>
    private static List<VirtualService> Ordered(ServiceTranslationInput input, Func<VirtualService, bool> has) =>
        [.. (input.VirtualServices.IsDefault ? [] : input.VirtualServices).Where(has)
            .OrderBy(v => v.Meta.Namespace, StringComparer.Ordinal).ThenBy(v => v.Meta.Name, StringComparer.Ordinal)];

    /// <summary>A route's destinations as clusters (the listener's port when one names none), weights as given (one destination takes all), zero weights left out.</summary>
    private static ImmutableArray<TcpCluster> Clusters(ImmutableArray<RouteDestination> route, string ns, int port, string domainSuffix) =>
        [.. route
            .Select(d => new TcpCluster(
                ResourceNames.OutboundCluster(d.Destination.Port ?? port, d.Destination.Subset, Visibility.ResolveHost(d.Destination.Host, ns, domainSuffix)),
                route.Length == 1 ? 1 : d.Weight ?? 0))
            .Where(c => c.Weight > 0)];
}
