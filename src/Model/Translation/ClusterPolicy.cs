using Mesh.Model.Config;

namespace Mesh.Model.Translation;

/// <summary>
/// The traffic policy one outbound cluster (a port, maybe a subset) is built with, merged as Istio
/// merges a DestinationRule: a <c>portLevelSettings</c> entry replaces the whole policy for its port;
/// a subset's blocks (load balancer, connection pool, outlier detection, TLS) each replace the parent's
/// block, and a subset's own port entry replaces them all.
/// </summary>
public sealed record ClusterPolicy(LoadBalancerKind Simple, ConsistentHash? Hash, Warmup? Warmup, ConnectionPool? Pool, OutlierDetection? Outlier, LocalityLbSetting? Locality = null, ClientTls? Tls = null)
{
    /// <summary>No DestinationRule: round robin (Mesh's default; Istio's is LEAST_REQUEST), no pool limits beyond Istio's defaults.</summary>
    public static ClusterPolicy Default { get; } = new(LoadBalancerKind.RoundRobin, null, null, null, null);

    public static ClusterPolicy For(DestinationRule? rule, Subset? subset, int port)
    {
        var top = Resolve(rule?.TrafficPolicy, port);
        if (subset?.TrafficPolicy is not { } own)
        {
            return top;
        }
        if (PortEntry(own, port) is { } ownPort)
        {
            return Blocks(ownPort, Default);
        }
        return Blocks(own, top);
    }

    /// <summary>The policy for <paramref name="port"/>: its port entry replaces the whole policy.</summary>
    private static ClusterPolicy Resolve(TrafficPolicy? policy, int port) =>
        policy is null ? Default : Blocks(PortEntry(policy, port) ?? policy, Default);

    private static TrafficPolicy? PortEntry(TrafficPolicy policy, int port) =>
        policy.PortLevelSettings.IsDefaultOrEmpty ? null : policy.PortLevelSettings.FirstOrDefault(p => p.Port == port)?.Policy;

    /// <summary>Each block <paramref name="policy"/> sets replaces <paramref name="parent"/>'s.</summary>
    private static ClusterPolicy Blocks(TrafficPolicy policy, ClusterPolicy parent)
    {
        var result = parent;
        if (policy.HasLoadBalancer)
        {
            var simple = policy.LoadBalancer is null or LoadBalancerKind.Unspecified ? LoadBalancerKind.RoundRobin : policy.LoadBalancer.Value;
            result = result with { Simple = simple, Hash = policy.ConsistentHash, Warmup = policy.Warmup, Locality = policy.LocalityLb };
        }
        if (policy.ConnectionPool is { } pool)
        {
            result = result with { Pool = pool };
        }
        if (policy.OutlierDetection is { } outlier)
        {
            result = result with { Outlier = outlier };
        }
        if (policy.Tls is { } tls)
        {
            result = result with { Tls = tls };
        }
        return result;
    }
}
