using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf;
using Mesh.LoadTest.Proxies;

namespace Mesh.LoadTest.Tests;

/// <summary>The simulated proxy reads which ClusterLoadAssignment a cluster pulls without parsing the whole cluster; it must pull what Envoy pulls.</summary>
public sealed class ResourceLinksTests
{
    public static TheoryData<string, string[]> Clusters => new()
    {
        { "eds with service name", ["outbound|80||a.ns.svc.cluster.local"] },
        { "eds without service name", ["c-eds"] },
        { "eds with empty service name", ["c-eds-empty"] },
        { "static", [] },
        { "discovery type unset", [] },
        { "strict dns", [] },
        { "custom cluster type after eds", [] },
        { "eds after custom cluster type", ["c-eds-last"] },
        { "eds config given twice, the last name wins", ["second"] },
        { "eds config given twice, the second without a name", ["first"] },
    };

    [Theory]
    [MemberData(nameof(Clusters))]
    public void EdsOfCluster_PullsWhatTheClusterNames_AsAFullParseReadsIt(string shape, string[] expected)
    {
        var bytes = Build(shape);

        var pulled = ResourceLinks.EdsOfCluster(bytes.Span);

        Assert.Equal(expected, pulled);
        Assert.Equal(FullParse(bytes), pulled);
    }

    private static string[] FullParse(ByteString bytes)
    {
        var c = Cluster.Parser.ParseFrom(bytes);
        if (c.ClusterDiscoveryTypeCase != Cluster.ClusterDiscoveryTypeOneofCase.Type || c.Type != Cluster.Types.DiscoveryType.Eds)
        {
            return [];
        }
        return [string.IsNullOrEmpty(c.EdsClusterConfig?.ServiceName) ? c.Name : c.EdsClusterConfig.ServiceName];
    }

    private static ByteString Build(string shape)
    {
        var ads = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };
        var timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(10));
        return shape switch
        {
            "eds with service name" => new Cluster
            {
                Name = "outbound|80||a.ns.svc.cluster.local",
                ConnectTimeout = timeout,
                Type = Cluster.Types.DiscoveryType.Eds,
                EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = ads, ServiceName = "outbound|80||a.ns.svc.cluster.local" },
            }.ToByteString(),
            "eds without service name" => new Cluster { Name = "c-eds", Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() { EdsConfig = ads } }.ToByteString(),
            "eds with empty service name" => new Cluster { Name = "c-eds-empty", Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() { EdsConfig = ads, ServiceName = "" } }.ToByteString(),
            "static" => new Cluster { Name = "c-static", Type = Cluster.Types.DiscoveryType.Static, EdsClusterConfig = new() { ServiceName = "x" } }.ToByteString(),
            "discovery type unset" => new Cluster { Name = "c-unset", EdsClusterConfig = new() { ServiceName = "x" } }.ToByteString(),
            "strict dns" => new Cluster { Name = "c-dns", Type = Cluster.Types.DiscoveryType.StrictDns }.ToByteString(),
            "custom cluster type after eds" => Concat(
                new Cluster { Name = "c-custom", Type = Cluster.Types.DiscoveryType.Eds },
                new Cluster { ClusterType = new Cluster.Types.CustomClusterType { Name = "envoy.clusters.aggregate" } }),
            "eds after custom cluster type" => Concat(
                new Cluster { Name = "c-eds-last", ClusterType = new Cluster.Types.CustomClusterType { Name = "envoy.clusters.aggregate" } },
                new Cluster { Type = Cluster.Types.DiscoveryType.Eds }),
            "eds config given twice, the second without a name" => Concat(
                new Cluster { Name = "c-twice", Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() { ServiceName = "first" } },
                new Cluster { EdsClusterConfig = new() { EdsConfig = ads } }),
            "eds config given twice, the last name wins" => Concat(
                new Cluster { Name = "c-twice", Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() { ServiceName = "first" } },
                new Cluster { EdsClusterConfig = new() { ServiceName = "second" } }),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
        };
    }

    /// <summary>Two serialized messages back to back: what a parser sees as one message with the second's fields later (proto merge).</summary>
    private static ByteString Concat(Cluster first, Cluster second) => ByteString.CopyFrom([.. first.ToByteArray(), .. second.ToByteArray()]);
}
