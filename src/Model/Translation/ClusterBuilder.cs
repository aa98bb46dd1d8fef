using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// Builds CDS resources: a service's outbound clusters (one per port and per DestinationRule subset,
/// EDS over ADS as gRPC requires, G-01/G-05) and a sidecar's own clusters (passthrough, blackhole, inbound).
/// </summary>
public static class ClusterBuilder
{
    /// <summary>Outbound clusters of a service, sorted by port then subset.</summary>
    public static ImmutableArray<XdsResource> BuildOutbound(ServiceTranslationInput input)
    {
        var passthrough = input.Service.Resolution == Resolution.None;
        var dns = input.Service.Resolution.IsDns() ? EndpointBuilder.Sorted(input) : null;
        return [.. OutboundClusterSpec.For(input).Select(spec => Build(spec, input.Settings, passthrough, dns is null ? null : (input.Service, dns)))];
    }

    /// <summary>Istio's default <c>dnsRefreshRate</c> (the TTL of a record wins when Envoy respects it, as Istio sets).</summary>
    public static readonly TimeSpan DnsRefreshRate = TimeSpan.FromSeconds(60);

    /// <summary>The names of <see cref="BuildOutbound"/>'s clusters (and of EndpointBuilder's load assignments), for <see cref="ScopeService.ClusterNames"/>.</summary>
    public static ImmutableArray<string> ClusterNames(ServiceTranslationInput input) =>
        [.. OutboundClusterSpec.For(input).Select(s => s.Name)];

    /// <summary>Istio's <c>PassthroughCluster</c>: ORIGINAL_DST, the destination the application dialled.</summary>
    public static XdsResource BuildPassthrough(MeshSettings? settings = null) =>
        XdsResource.From(TypeUrls.Cluster, ResourceNames.PassthroughCluster, OriginalDst(ResourceNames.PassthroughCluster, settings ?? MeshSettings.Default));

    /// <summary>
    /// The lazy egress's last resort: ORIGINAL_DST by the <c>x-envoy-original-dst-host</c> header a
    /// fenced sidecar's fallback sets to the address its application dialled.
    /// </summary>
    public static XdsResource BuildLazyOriginalDst(MeshSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var cluster = OriginalDst(ResourceNames.LazyOriginalDstCluster, settings);
        cluster.OriginalDstLbConfig = new Cluster.Types.OriginalDstLbConfig { UseHttpHeader = true, HttpHeaderName = ListenerBuilder.OriginalDestinationHeader };
        return XdsResource.From(TypeUrls.Cluster, cluster.Name, cluster);
    }

    /// <summary>Istio's <c>BlackHoleCluster</c>: STATIC with no endpoints, so every request fails.</summary>
    public static XdsResource BuildBlackHole(MeshSettings? settings = null) =>
        XdsResource.From(TypeUrls.Cluster, ResourceNames.BlackHoleCluster, new Cluster
        {
            Name = ResourceNames.BlackHoleCluster,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = Duration.FromTimeSpan((settings ?? MeshSettings.Default).ConnectTimeout),
        });

    /// <summary><c>inbound|PORT||</c>: STATIC to the workload on 127.0.0.1:PORT.</summary>
    public static XdsResource BuildInbound(InboundPort port, MeshSettings? settings = null)
    {
        var name = ResourceNames.InboundCluster(port.Port);
        var cluster = new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = Duration.FromTimeSpan((settings ?? MeshSettings.Default).ConnectTimeout),
            LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = name,
                Endpoints =
                {
                    new LocalityLbEndpoints
                    {
                        LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = EnvoyFilters.SocketAddress("127.0.0.1", port.Port) } } },
                    },
                },
            },
        };
        AddProtocolOptions(cluster, port.Protocol);
        return XdsResource.From(TypeUrls.Cluster, name, cluster);
    }

    private static XdsResource Build(OutboundClusterSpec spec, MeshSettings settings, bool passthrough, (MeshService Service, List<ServiceEndpoint> Endpoints)? dns)
    {
        var policy = spec.Policy;
        Cluster cluster;
        if (passthrough || (policy.Simple == LoadBalancerKind.Passthrough && policy.Hash is null))
        {
            cluster = OriginalDst(spec.Name, settings);
        }
        else if (dns is { } resolved)
        {
            var logical = resolved.Service.Resolution == Resolution.DnsRoundRobin;
            cluster = new Cluster
            {
                Name = spec.Name,
                Type = logical ? Cluster.Types.DiscoveryType.LogicalDns : Cluster.Types.DiscoveryType.StrictDns,
                ConnectTimeout = Duration.FromTimeSpan(settings.ConnectTimeout),
                LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
                LoadBalancingPolicy = ClusterTrafficPolicy.LoadBalancing(policy),
                DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Only,
                RespectDnsTtl = true,
                DnsRefreshRate = Duration.FromTimeSpan(DnsRefreshRate),
                LoadAssignment = DnsAssignment(spec, resolved.Service, resolved.Endpoints, logical),
            };
        }
        else
        {
            cluster = new Cluster
            {
                Name = spec.Name,
                Type = Cluster.Types.DiscoveryType.Eds,
                EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = EnvoyFilters.Ads(), ServiceName = spec.Name },
                ConnectTimeout = Duration.FromTimeSpan(settings.ConnectTimeout),
                // Every gRPC client reads lb_policy; Envoy and newer gRPC clients read load_balancing_policy first.
                LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
                LoadBalancingPolicy = ClusterTrafficPolicy.LoadBalancing(policy),
            };
        }
        ClusterTrafficPolicy.Apply(cluster, policy);
        cluster.TransportSocket = ClusterTls.TransportSocket(policy.Tls, spec.Name, ClusterTrafficPolicy.IsHttp2(spec.Port.Protocol, policy.Pool));
        AddProtocolOptions(cluster, spec.Port.Protocol, policy.Pool, policy.Tls);
        return XdsResource.From(TypeUrls.Cluster, spec.Name, cluster);
    }

    /// <summary>
    /// A DNS cluster's endpoints, as Istio: the ServiceEntry's endpoints (names or addresses) its
    /// port and subset select, or the host itself on the port when it lists none. LOGICAL_DNS takes
    /// one name (Envoy's rule): the first.
    /// </summary>
    private static ClusterLoadAssignment DnsAssignment(OutboundClusterSpec spec, MeshService service, List<ServiceEndpoint> endpoints, bool logical)
    {
        var assignment = EndpointBuilder.Assignment(spec, endpoints);
        if (endpoints.Count == 0)
        {
            assignment.Endpoints.Add(new LocalityLbEndpoints
            {
                LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = EnvoyFilters.SocketAddress(service.Hostname, spec.Port.Port) }, LoadBalancingWeight = 1 } },
                LoadBalancingWeight = 1,
            });
        }
        if (logical && assignment.Endpoints.Count > 0)
        {
            var first = assignment.Endpoints[0];
            while (first.LbEndpoints.Count > 1)
            {
                first.LbEndpoints.RemoveAt(first.LbEndpoints.Count - 1);
            }
            first.LoadBalancingWeight = first.LbEndpoints[0].LoadBalancingWeight;
            while (assignment.Endpoints.Count > 1)
            {
                assignment.Endpoints.RemoveAt(assignment.Endpoints.Count - 1);
            }
        }
        return assignment;
    }

    private static Cluster OriginalDst(string name, MeshSettings settings) => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.OriginalDst,
        ConnectTimeout = Duration.FromTimeSpan(settings.ConnectTimeout),
        LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
    };

    // One key only, so map order cannot vary (STYLE 8).
    private static void AddProtocolOptions(Cluster cluster, Protocol protocol, ConnectionPool? pool = null, ClientTls? tls = null)
    {
        if (ClusterTrafficPolicy.ProtocolOptions(protocol, pool, tls) is { } options)
        {
            cluster.TypedExtensionProtocolOptions.Add(EnvoyFilters.HttpProtocolOptionsKey, Any.Pack(options));
        }
    }
}
