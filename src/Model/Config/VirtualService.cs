using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>VirtualService</c> (HTTP and TCP routes).</summary>
public sealed record VirtualService(
    ObjectMeta Meta,
    ImmutableArray<string> Hosts,
    ImmutableArray<string> Gateways,
    ImmutableArray<HttpRoute> Http,
    ImmutableArray<TcpRoute> Tcp,
    ImmutableArray<string> ExportTo) : ConfigObject(Meta)
{
    /// <summary>The reserved gateway name that binds a VirtualService to sidecars.</summary>
    public const string MeshGateway = "mesh";

    public override ConfigKind Kind => ConfigKind.VirtualService;

    /// <summary>True when the VirtualService applies to sidecars (no gateways, or the reserved <c>mesh</c> gateway listed).</summary>
    public bool AppliesToMesh => Gateways.IsDefaultOrEmpty || Gateways.Contains(MeshGateway);
}

/// <summary>One <c>http</c> route: matches (any of), destinations, timeout and retries.</summary>
public sealed record HttpRoute(
    string? Name,
    ImmutableArray<HttpMatchRequest> Match,
    ImmutableArray<RouteDestination> Route,
    TimeSpan? Timeout,
    HttpRetry? Retries);

/// <summary>One <c>match</c> entry; all of its conditions must hold.</summary>
public sealed record HttpMatchRequest(
    string? Name,
    StringMatch? Uri,
    ImmutableSortedDictionary<string, StringMatch> Headers,
    int? Port,
    ImmutableArray<string> Gateways);

/// <summary>An Istio <c>StringMatch</c> (exactly one of exact, prefix, regex).</summary>
public sealed record StringMatch(StringMatchKind MatchKind, string Value);

/// <summary>The form of a <see cref="StringMatch"/>.</summary>
public enum StringMatchKind
{
    Exact,
    Prefix,
    Regex,
}

/// <summary>A weighted destination of a route.</summary>
public sealed record RouteDestination(Destination Destination, int? Weight);

/// <summary>A destination: host (short or FQDN), optional subset and port.</summary>
public sealed record Destination(string Host, string? Subset, int? Port);

/// <summary>Istio <c>HTTPRetry</c>.</summary>
public sealed record HttpRetry(int Attempts, TimeSpan? PerTryTimeout, string? RetryOn);

/// <summary>A <c>tcp</c> route: optional destination-port match and destinations.</summary>
public sealed record TcpRoute(int? Port, ImmutableArray<RouteDestination> Route);
