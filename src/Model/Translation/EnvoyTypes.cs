using Envoy.Config.Cluster.V3;
using Envoy.Extensions.AccessLoggers.Grpc.V3;
using Envoy.Extensions.Filters.Http.OnDemand.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf.Reflection;

namespace Mesh.Model.Translation;

/// <summary>
/// Every message type the builders emit, top-level or inside an <c>Any</c>: what a JSON renderer
/// (config_dump, golden files) must know to expand typed configs.
/// </summary>
public static class EnvoyTypes
{
    public static readonly IReadOnlyList<MessageDescriptor> Emitted =
    [
        Cluster.Descriptor, ClusterLoadAssignment.Descriptor, Listener.Descriptor, RouteConfiguration.Descriptor,
        HttpConnectionManager.Descriptor, Router.Descriptor, TcpProxy.Descriptor, OriginalDst.Descriptor, HttpProtocolOptions.Descriptor,
        OnDemand.Descriptor, HttpGrpcAccessLogConfig.Descriptor,
        Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault.Descriptor, Envoy.Extensions.Filters.Http.Cors.V3.Cors.Descriptor,
        Envoy.Extensions.Filters.Http.Cors.V3.CorsPolicy.Descriptor,
        Envoy.Extensions.Retry.Host.PreviousHosts.V3.PreviousHostsPredicate.Descriptor,
        Envoy.Extensions.Retry.Priority.PreviousPriorities.V3.PreviousPrioritiesConfig.Descriptor,
        Envoy.Extensions.LoadBalancingPolicies.RingHash.V3.RingHash.Descriptor, Envoy.Extensions.LoadBalancingPolicies.Maglev.V3.Maglev.Descriptor,
        Envoy.Extensions.LoadBalancingPolicies.RoundRobin.V3.RoundRobin.Descriptor, Envoy.Extensions.LoadBalancingPolicies.LeastRequest.V3.LeastRequest.Descriptor,
        Envoy.Extensions.LoadBalancingPolicies.Random.V3.Random.Descriptor,
        Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext.Descriptor, Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext.Descriptor,
        Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector.Descriptor,
    ];

    public static readonly TypeRegistry Registry = TypeRegistry.FromMessages(Emitted);
}
