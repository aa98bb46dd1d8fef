namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>DestinationRule</c>: host, subsets and the simple load-balancer policy.</summary>
internal static class DestinationRuleReader
{
    public static DestinationRule Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new DestinationRule(
            meta,
            spec.Field("host").String() ?? "",
            ReadTrafficPolicy(spec.Field("trafficPolicy")),
            [.. spec.Field("subsets").Items().Select(ReadSubset)],
            spec.Field("exportTo").Strings());
    }

    private static Subset ReadSubset(YamlCursor subset) => new(
        subset.Field("name").String() ?? "",
        subset.Field("labels").StringMap(),
        ReadTrafficPolicy(subset.Field("trafficPolicy")));

    private static TrafficPolicy? ReadTrafficPolicy(YamlCursor policy)
    {
        if (!policy.Exists)
        {
            return null;
        }
        var simple = policy.Field("loadBalancer").Field("simple");
        var text = simple.String();
        LoadBalancerKind? kind = text switch
        {
            null => null,
            "UNSPECIFIED" => LoadBalancerKind.Unspecified,
            "ROUND_ROBIN" => LoadBalancerKind.RoundRobin,
            // LEAST_CONN is Istio's deprecated alias of LEAST_REQUEST.
            "LEAST_REQUEST" or "LEAST_CONN" => LoadBalancerKind.LeastRequest,
            "RANDOM" => LoadBalancerKind.Random,
            "PASSTHROUGH" => LoadBalancerKind.Passthrough,
            _ => Unknown(simple, text),
        };
        return new TrafficPolicy(kind);
    }

    private static LoadBalancerKind? Unknown(YamlCursor simple, string text)
    {
        simple.Error($"unknown load balancer '{text}', expected one of UNSPECIFIED, ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM, PASSTHROUGH");
        return null;
    }
}
