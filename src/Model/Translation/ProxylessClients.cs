using System.Globalization;
using Envoy.Config.Route.V3;

namespace Mesh.Model.Translation;

/// <summary>What a proxyless client version is known to mishandle, so Mesh withholds it from that client.</summary>
[Flags]
public enum ClientQuirks
{
    None = 0,

    /// <summary>
    /// gRPC C-core 1.51 (core 29) and older fire a route's <c>max_stream_duration</c> 1–2 s early
    /// (seen with Debian's grpcio 1.51: a 50 ms call under a 300 ms route timeout ends in
    /// DEADLINE_EXCEEDED): route timeouts are left out of its RouteConfigurations.
    /// </summary>
    EarlyRouteTimeouts = 1,

    /// <summary>
    /// Every gRPC client (<see cref="ProxylessClients.Adapt"/>): outlier detection ejects only by
    /// success rate or failure percentage (gRFC A50), never by Istio's consecutive errors, so a
    /// cluster's consecutive-error detection reaches it as failure-percentage ejection; and TLS
    /// takes certificate providers (A29), never SDS, so a cluster's TLS transport socket (its
    /// certificates over SDS) is left out of what it gets.
    /// </summary>
    Grpc = 2,
}

/// <summary>
/// Which proxyless gRPC client a node is, from the node's <c>user_agent_name</c> and
/// <c>user_agent_version</c> (C-core sends e.g. <c>gRPC C-core linux Python</c> /
/// <c>C-core 29.0.0 Python 1.51.1</c>; grpc-js <c>gRPC Node Pure JS</c> / its version), the
/// <see cref="ClientQuirks"/> of that version, and the resources adapted to them.
/// </summary>
public static class ProxylessClients
{
    /// <summary>The newest C-core major version (core numbering: 29 is gRPC 1.51) known to fire route timeouts early.</summary>
    public const int EarlyRouteTimeoutsThroughCoreMajor = 29;

    /// <summary>
    /// A failure share above which a gRPC client ejects an endpoint, standing in for Istio's
    /// consecutive errors: more than half of at least that many calls in an interval failed.
    /// </summary>
    public const uint FailurePercentageThreshold = 50;

    /// <summary>The quirks of a proxyless gRPC client (<see cref="ClientQuirks.Grpc"/> for every one, the rest by version).</summary>
    public static ClientQuirks QuirksOf(string? userAgentName, string? userAgentVersion)
    {
        var quirks = ClientQuirks.Grpc;
        if (CoreMajor(userAgentName, userAgentVersion) is { } major && major <= EarlyRouteTimeoutsThroughCoreMajor)
        {
            quirks |= ClientQuirks.EarlyRouteTimeouts;
        }
        return quirks;
    }

    /// <summary>
    /// The C-core major version of a C-core based client (its <c>user_agent_version</c> starts
    /// <c>C-core MAJOR.</c>), null for any other client or a version that does not parse.
    /// </summary>
    public static int? CoreMajor(string? userAgentName, string? userAgentVersion)
    {
        if (userAgentName is null || !userAgentName.StartsWith("gRPC C-core", StringComparison.Ordinal)
            || userAgentVersion is null || !userAgentVersion.StartsWith("C-core ", StringComparison.Ordinal))
        {
            return null;
        }
        var version = userAgentVersion.AsSpan("C-core ".Length);
        var dot = version.IndexOf('.');
        return dot > 0 && int.TryParse(version[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : null;
    }

    /// <summary>The names of the features withheld for <paramref name="quirks"/> (log, metric and debug label values).</summary>
    public static IEnumerable<string> Withheld(ClientQuirks quirks)
    {
        if (quirks.HasFlag(ClientQuirks.EarlyRouteTimeouts))
        {
            yield return "route_timeout";
        }
    }

    /// <summary>
    /// <paramref name="resource"/> as a client with <paramref name="quirks"/> gets it: the same
    /// instance when nothing changes for it, else a new resource (own content hash): routes without
    /// what the client mishandles, clusters with outlier detection it applies.
    /// </summary>
    public static XdsResource Adapt(XdsResource resource, ClientQuirks quirks)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.IsAbsent)
        {
            return resource;
        }
        if (resource.TypeUrl == TypeUrls.Cluster && quirks.HasFlag(ClientQuirks.Grpc))
        {
            return ForGrpc(resource);
        }
        if (!quirks.HasFlag(ClientQuirks.EarlyRouteTimeouts) || resource.TypeUrl != TypeUrls.Route)
        {
            return resource;
        }
        var config = RouteConfiguration.Parser.ParseFrom(resource.Body.Span);
        var changed = false;
        foreach (var route in config.VirtualHosts.SelectMany(h => h.Routes))
        {
            if (route.Route_ is { MaxStreamDuration: not null } action)
            {
                action.MaxStreamDuration = null;
                changed = true;
            }
        }
        return changed ? XdsResource.From(resource.TypeUrl, resource.Name, config) with { Rollout = resource.Rollout } : resource;
    }

    /// <summary>
    /// Istio's consecutive-error outlier detection (consecutive 5xx, Envoy's default of 5 when
    /// unset, and gateway errors) as gRPC applies ejection: by failure percentage over each
    /// interval, with the smallest consecutive count as the calls an endpoint must have had, at
    /// least one endpoint with that many, and always enforced. Interval, ejection time and maximum
    /// ejection percent are shared with Envoy's fields.
    /// </summary>
    private static XdsResource ForGrpc(XdsResource resource)
    {
        var cluster = Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(resource.Body.Span);
        var changed = false;
        if (cluster.TransportSocket is not null)
        {
            cluster.TransportSocket = null;
            changed = true;
        }
        if (cluster.Type == Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.StrictDns)
        {
            // gRPC takes EDS, LOGICAL_DNS and aggregate clusters (gRFC A37): one name, the first.
            cluster.Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.LogicalDns;
            var localities = cluster.LoadAssignment.Endpoints;
            while (localities.Count > 1)
            {
                localities.RemoveAt(localities.Count - 1);
            }
            if (localities.Count == 1)
            {
                while (localities[0].LbEndpoints.Count > 1)
                {
                    localities[0].LbEndpoints.RemoveAt(localities[0].LbEndpoints.Count - 1);
                }
                localities[0].LoadBalancingWeight = localities[0].LbEndpoints.FirstOrDefault()?.LoadBalancingWeight;
            }
            changed = true;
        }
        changed |= WithFailurePercentage(cluster);
        return changed ? XdsResource.From(resource.TypeUrl, resource.Name, cluster) with { Rollout = resource.Rollout } : resource;
    }

    private static bool WithFailurePercentage(Envoy.Config.Cluster.V3.Cluster cluster)
    {
        if (cluster.OutlierDetection is not { } outlier || outlier.EnforcingFailurePercentage is not null)
        {
            return false;
        }
        uint? volume = (outlier.EnforcingConsecutive5Xx ?? 100) > 0 ? outlier.Consecutive5Xx ?? 5 : null;
        if ((outlier.EnforcingConsecutiveGatewayFailure ?? 0) > 0 && (outlier.ConsecutiveGatewayFailure ?? 5) is var gateway && (volume is null || gateway < volume))
        {
            volume = gateway;
        }
        if (volume is not > 0)
        {
            return false;
        }
        outlier.FailurePercentageThreshold = FailurePercentageThreshold;
        outlier.EnforcingFailurePercentage = 100;
        outlier.FailurePercentageMinimumHosts = 1;
        outlier.FailurePercentageRequestVolume = volume;
        return true;
    }
}
