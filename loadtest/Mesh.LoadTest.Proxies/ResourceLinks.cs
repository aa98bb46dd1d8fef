using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// How one resource pulls others, as Envoy and gRPC follow them: an EDS cluster pulls its
/// ClusterLoadAssignment, a listener's HttpConnectionManager (in a filter chain, or a proxyless
/// api_listener) pulls its RouteConfiguration, and (proxyless) a route pulls the clusters it names.
/// </summary>
internal static class ResourceLinks
{
    /// <summary>Field 1 (<c>name</c> / <c>cluster_name</c>) of a Cluster, ClusterLoadAssignment, Listener or RouteConfiguration, read without parsing the rest.</summary>
    public static string Name(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                return input.ReadString();
            }
            input.SkipLastField();
        }
        return "";
    }

    public static string[] EdsOfCluster(ByteString bytes)
    {
        var c = Cluster.Parser.ParseFrom(bytes);
        if (c.ClusterDiscoveryTypeCase != Cluster.ClusterDiscoveryTypeOneofCase.Type || c.Type != Cluster.Types.DiscoveryType.Eds)
        {
            return [];
        }
        return [string.IsNullOrEmpty(c.EdsClusterConfig?.ServiceName) ? c.Name : c.EdsClusterConfig.ServiceName];
    }

    public static string[] RoutesOfListener(ByteString bytes)
    {
        var l = Listener.Parser.ParseFrom(bytes);
        var names = new List<string>();
        if (l.ApiListener?.ApiListener_ is { } api)
        {
            AddRds(api, names);
        }
        var chains = l.DefaultFilterChain is null ? l.FilterChains : l.FilterChains.Append(l.DefaultFilterChain);
        foreach (var filter in chains.SelectMany(fc => fc.Filters))
        {
            if (filter.TypedConfig is { } any)
            {
                AddRds(any, names);
            }
        }
        return [.. names.Distinct(StringComparer.Ordinal)];
    }

    public static string[] ClustersOfRoute(ByteString bytes)
    {
        var rc = RouteConfiguration.Parser.ParseFrom(bytes);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var action in rc.VirtualHosts.SelectMany(vh => vh.Routes).Select(r => r.Route_).OfType<RouteAction>())
        {
            if (action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.Cluster)
            {
                names.Add(action.Cluster);
            }
            else if (action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.WeightedClusters)
            {
                names.UnionWith(action.WeightedClusters.Clusters.Select(c => c.Name));
            }
        }
        return [.. names];
    }

    private static void AddRds(Any any, List<string> names)
    {
        if (any.Is(HttpConnectionManager.Descriptor) && any.Unpack<HttpConnectionManager>().Rds is { } rds && rds.RouteConfigName.Length > 0)
        {
            names.Add(rds.RouteConfigName);
        }
    }
}
