using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// A connected node's identity, parsed from the first request's <c>node</c> (X-03): the Istio id
/// <c>TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN</c> plus metadata (NAMESPACE, LABELS,
/// WORKLOAD_NAME, GENERATOR=grpc for proxyless gRPC) and the client's user agent.
/// </summary>
public sealed record ProxyNode(
    string Id,
    ProxyKind Kind,
    string IpAddress,
    string PodName,
    string Namespace,
    string DnsDomain,
    string WorkloadName,
    ImmutableSortedDictionary<string, string> Labels)
{
    /// <summary>The node's <c>user_agent_name</c> (empty when not sent).</summary>
    public string UserAgentName { get; init; } = "";

    /// <summary>The node's <c>user_agent_version</c> (empty when not sent).</summary>
    public string UserAgentVersion { get; init; } = "";

    /// <summary>Name and version joined by a space (empty when the node sent neither).</summary>
    public string UserAgent => UserAgentVersion.Length == 0 ? UserAgentName : UserAgentName.Length == 0 ? UserAgentVersion : UserAgentName + " " + UserAgentVersion;

    /// <summary>The node's <c>locality</c> (region, zone, sub-zone; empty parts when not sent): what locality-aware load balancing is relative to.</summary>
    public Mesh.Model.Services.Locality Locality { get; init; } = Mesh.Model.Services.Locality.None;

    /// <summary>What this client's version is known to mishandle (proxyless gRPC only), withheld from its resources.</summary>
    public ClientQuirks Quirks { get; init; }
}
