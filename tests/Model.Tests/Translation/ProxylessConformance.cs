using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Mesh.Model.Tests.Translation;

/// <summary>
/// What gRPC's proxyless xDS client would NACK (XDS-PROTOCOL.md G-02…G-06), as checks over parsed
/// resources. Each method returns the violations it finds; none means the client accepts it.
/// </summary>
internal static class ProxylessConformance
{
    public const string RouterFilter = "envoy.filters.http.router";

    /// <summary>G-02/G-03: an API listener named as requested, HCM over ADS RDS, unique filter names, router last.</summary>
    public static List<string> CheckListener(Listener listener, string requestedName)
    {
        var errors = new List<string>();
        if (listener.Name != requestedName)
        {
            errors.Add($"G-02 listener '{listener.Name}' is not named '{requestedName}'");
        }
        if (listener.ApiListener?.ApiListener_ is not { } any || !any.Is(HttpConnectionManager.Descriptor))
        {
            errors.Add($"G-02 listener '{listener.Name}' has no HttpConnectionManager api_listener");
            return errors;
        }
        var manager = any.Unpack<HttpConnectionManager>();
        if (manager.RouteConfig is null && manager.Rds?.ConfigSource?.Ads is null)
        {
            errors.Add($"G-02 listener '{listener.Name}': RDS config source is not ADS");
        }
        var filters = manager.HttpFilters;
        if (filters.Count == 0)
        {
            errors.Add($"G-03 listener '{listener.Name}': http_filters is empty");
        }
        else if (filters[^1].Name != RouterFilter)
        {
            errors.Add($"G-03 listener '{listener.Name}': the last filter is '{filters[^1].Name}', not the router");
        }
        if (filters.Take(filters.Count - 1).Any(f => f.Name == RouterFilter))
        {
            errors.Add($"G-03 listener '{listener.Name}': the terminal router filter is not last");
        }
        foreach (var duplicate in filters.GroupBy(f => f.Name).Where(g => g.Count() > 1))
        {
            errors.Add($"G-03 listener '{listener.Name}': filter name '{duplicate.Key}' is used {duplicate.Count()} times");
        }
        return errors;
    }

    /// <summary>The path specifiers gRFC A28 accepts; any other one is NACKed ("Invalid route path specifier specified").</summary>
    private static readonly HashSet<RouteMatch.PathSpecifierOneofCase> PathSpecifiers =
    [
        RouteMatch.PathSpecifierOneofCase.Prefix,
        RouteMatch.PathSpecifierOneofCase.Path,
        RouteMatch.PathSpecifierOneofCase.SafeRegex,
    ];

    /// <summary>
    /// The header matchers gRFC A28 accepts. <c>string_match</c> came with gRFC A63 (2023); C-core
    /// before it (Debian's grpcio 1.51) NACKs it ("Invalid route header matcher specified").
    /// </summary>
    private static readonly HashSet<HeaderMatcher.HeaderMatchSpecifierOneofCase> HeaderMatchers =
    [
        HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch,
        HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch,
        HeaderMatcher.HeaderMatchSpecifierOneofCase.RangeMatch,
        HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch,
        HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch,
        HeaderMatcher.HeaderMatchSpecifierOneofCase.SuffixMatch,
    ];

    /// <summary>
    /// G-04: the target's host:port is a domain; every route has a path specifier and header
    /// matchers that every gRPC client knows (gRFC A28); weighted clusters sum above zero.
    /// </summary>
    public static List<string> CheckRoute(RouteConfiguration config, string hostPort)
    {
        var errors = new List<string>();
        if (!config.VirtualHosts.Any(v => v.Domains.Contains(hostPort)))
        {
            errors.Add($"G-04 route '{config.Name}': no virtual host has domain '{hostPort}'");
        }
        foreach (var route in config.VirtualHosts.SelectMany(v => v.Routes))
        {
            if (route.Match?.PathSpecifierCase is null or RouteMatch.PathSpecifierOneofCase.None)
            {
                errors.Add($"G-04 route '{config.Name}/{route.Name}': match has no path specifier");
            }
            else if (!PathSpecifiers.Contains(route.Match.PathSpecifierCase))
            {
                errors.Add($"G-04 route '{config.Name}/{route.Name}': path specifier {route.Match.PathSpecifierCase} is not one of gRFC A28's");
            }
            foreach (var header in route.Match?.Headers ?? [])
            {
                if (!HeaderMatchers.Contains(header.HeaderMatchSpecifierCase))
                {
                    errors.Add($"G-04 route '{config.Name}/{route.Name}': header '{header.Name}' uses {header.HeaderMatchSpecifierCase}, not one of gRFC A28's matchers");
                }
            }
            if (route.Route_?.WeightedClusters is { } weighted)
            {
                var sum = weighted.Clusters.Sum(c => (long)(c.Weight ?? 0));
                if (sum <= 0 || sum > uint.MaxValue)
                {
                    errors.Add($"G-04 route '{config.Name}/{route.Name}': weighted clusters sum to {sum}");
                }
            }
        }
        return errors;
    }

    /// <summary>G-05: EDS over ADS, a policy the client knows.</summary>
    public static List<string> CheckCluster(Cluster cluster)
    {
        var errors = new List<string>();
        if (cluster.Type != Cluster.Types.DiscoveryType.Eds)
        {
            errors.Add($"G-05 cluster '{cluster.Name}' is {cluster.Type}, not EDS");
        }
        if (cluster.EdsClusterConfig?.EdsConfig?.Ads is null || cluster.EdsClusterConfig.EdsConfig.ResourceApiVersion != ApiVersion.V3)
        {
            errors.Add($"G-05 cluster '{cluster.Name}': eds_config is not ADS v3");
        }
        if (cluster.LbPolicy is not (Cluster.Types.LbPolicy.RoundRobin or Cluster.Types.LbPolicy.LeastRequest or Cluster.Types.LbPolicy.Random or Cluster.Types.LbPolicy.RingHash))
        {
            errors.Add($"G-05 cluster '{cluster.Name}': lb_policy {cluster.LbPolicy} is unknown to gRPC");
        }
        return errors;
    }

    /// <summary>G-06: each locality weighted and once per priority; no address twice in the cluster.</summary>
    public static List<string> CheckEndpoints(ClusterLoadAssignment assignment)
    {
        var errors = new List<string>();
        var addresses = new HashSet<string>(StringComparer.Ordinal);
        var localities = new HashSet<(uint, string, string, string)>();
        foreach (var group in assignment.Endpoints)
        {
            if (group.LoadBalancingWeight is null or 0)
            {
                errors.Add($"G-06 '{assignment.ClusterName}': locality {group.Locality} has no weight");
            }
            if (!localities.Add((group.Priority, group.Locality?.Region ?? "", group.Locality?.Zone ?? "", group.Locality?.SubZone ?? "")))
            {
                errors.Add($"G-06 '{assignment.ClusterName}': locality {group.Locality} appears twice in priority {group.Priority}");
            }
            foreach (var endpoint in group.LbEndpoints)
            {
                var socket = endpoint.Endpoint.Address.SocketAddress;
                if (!addresses.Add($"{socket.Address}:{socket.PortValue}"))
                {
                    errors.Add($"G-06 '{assignment.ClusterName}': address {socket.Address}:{socket.PortValue} appears twice");
                }
            }
        }
        var weightSum = assignment.Endpoints.GroupBy(e => e.Priority).Select(g => g.Sum(e => (long)(e.LoadBalancingWeight ?? 0)));
        if (weightSum.Any(s => s > uint.MaxValue))
        {
            errors.Add($"G-06 '{assignment.ClusterName}': locality weights exceed uint32");
        }
        return errors;
    }
}
