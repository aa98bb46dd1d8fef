using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>DestinationRule</c>: subsets by labels and a load-balancer policy.</summary>
public sealed record DestinationRule(
    ObjectMeta Meta,
    string Host,
    TrafficPolicy? TrafficPolicy,
    ImmutableArray<Subset> Subsets,
    ImmutableArray<string> ExportTo) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.DestinationRule;
}

/// <summary>A DestinationRule subset.</summary>
public sealed record Subset(string Name, ImmutableSortedDictionary<string, string> Labels, TrafficPolicy? TrafficPolicy);

/// <summary>The parts of Istio's <c>trafficPolicy</c> that Mesh translates.</summary>
public sealed record TrafficPolicy(LoadBalancerKind? LoadBalancer);

/// <summary><c>trafficPolicy.loadBalancer.simple</c>.</summary>
public enum LoadBalancerKind
{
    Unspecified,
    RoundRobin,
    LeastRequest,
    Random,
    Passthrough,
}
