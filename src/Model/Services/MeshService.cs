using System.Collections.Immutable;

namespace Mesh.Model.Services;

/// <summary>
/// A service in the registry, derived from a Kubernetes Service or a ServiceEntry host: the input
/// a ServiceGrain holds. <see cref="Hostname"/> is the FQDN (e.g. <c>reviews.bookinfo.svc.cluster.local</c>);
/// <see cref="Labels"/> are the object's own labels (null when it has none).
/// </summary>
public sealed record MeshService(
    string Hostname,
    string Namespace,
    ImmutableArray<MeshServicePort> Ports,
    ImmutableArray<string> Addresses,
    ServiceOrigin Origin,
    Resolution Resolution,
    ImmutableArray<string> ExportTo,
    ImmutableSortedDictionary<string, string> Selector,
    ImmutableSortedDictionary<string, string>? Labels = null)
{
    /// <summary>The Service's (or ServiceEntry's) own labels: what a ServiceFence's <c>labelSelector</c> matches.</summary>
    public ImmutableSortedDictionary<string, string> LabelsOrEmpty => Labels ?? ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The short name: the first label of a Kubernetes FQDN, or the whole host for a ServiceEntry.</summary>
    public string ShortName => Origin == ServiceOrigin.Kubernetes ? Hostname.Split('.')[0] : Hostname;
}

/// <summary>A service port. <see cref="TargetPort"/> is the numeric workload port when known.</summary>
public sealed record MeshServicePort(string Name, int Port, Protocol Protocol, int? TargetPort);

/// <summary>Where a service came from.</summary>
public enum ServiceOrigin
{
    Kubernetes,
    ServiceEntry,
}

/// <summary>How endpoints are resolved (ServiceEntry <c>resolution</c>; Kubernetes Services are Static).</summary>
public enum Resolution
{
    Static,

    /// <summary><c>DNS</c>: Envoy resolves every endpoint's name (STRICT_DNS), the host's own when there are none.</summary>
    Dns,
    None,

    /// <summary><c>DNS_ROUND_ROBIN</c>: one name, one connection pool over its addresses (LOGICAL_DNS).</summary>
    DnsRoundRobin,
}

/// <summary>Helpers on <see cref="Resolution"/>.</summary>
public static class ResolutionExtensions
{
    /// <summary>DNS or DNS_ROUND_ROBIN: the cluster resolves names itself and carries its endpoints (no EDS).</summary>
    public static bool IsDns(this Resolution resolution) => resolution is Resolution.Dns or Resolution.DnsRoundRobin;
}
