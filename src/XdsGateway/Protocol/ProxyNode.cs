using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// A connected node's identity, parsed from the first request's <c>node</c> (X-03): the Istio id
/// <c>TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN</c> plus metadata (NAMESPACE, LABELS,
/// WORKLOAD_NAME, GENERATOR=grpc for proxyless gRPC).
/// </summary>
public sealed record ProxyNode(
    string Id,
    ProxyKind Kind,
    string IpAddress,
    string PodName,
    string Namespace,
    string DnsDomain,
    string WorkloadName,
    ImmutableSortedDictionary<string, string> Labels);
