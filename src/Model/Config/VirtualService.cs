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

    /// <summary><c>tls</c> routes: TLS connections chosen by SNI, passed through to destinations.</summary>
    public ImmutableArray<TlsRoute> Tls { get; init; } = [];

    /// <summary>True when the VirtualService applies to sidecars (no gateways, or the reserved <c>mesh</c> gateway listed).</summary>
    public bool AppliesToMesh => Gateways.IsDefaultOrEmpty || Gateways.Contains(MeshGateway);
}

/// <summary>
/// One <c>http</c> route: matches (any of), then exactly one action — destinations
/// (<see cref="Route"/>), a <see cref="Redirect"/> or a <see cref="DirectResponse"/> — and the
/// route's policies.
/// </summary>
public sealed record HttpRoute(
    string? Name,
    ImmutableArray<HttpMatchRequest> Match,
    ImmutableArray<RouteDestination> Route,
    TimeSpan? Timeout,
    HttpRetry? Retries)
{
    /// <summary>Fault injection (<c>fault</c>): delay and/or abort a share of requests.</summary>
    public HttpFault? Fault { get; init; }

    /// <summary>Request and response header edits of the route (<c>headers</c>).</summary>
    public HeaderOperations? Headers { get; init; }

    /// <summary><c>rewrite</c> (uri, authority, uriRegexRewrite) applied before forwarding.</summary>
    public HttpRewrite? Rewrite { get; init; }

    /// <summary><c>redirect</c>: answer with a redirect instead of forwarding.</summary>
    public HttpRedirect? Redirect { get; init; }

    /// <summary><c>directResponse</c>: answer with a fixed status and body instead of forwarding.</summary>
    public HttpDirectResponse? DirectResponse { get; init; }

    /// <summary><c>mirror</c> (with <c>mirrorPercentage</c>) or <c>mirrors</c> (never both).</summary>
    public ImmutableArray<HttpMirror> Mirrors { get; init; } = [];

    /// <summary>True when <see cref="Mirrors"/> holds the single <c>mirror</c> field.</summary>
    public bool SingleMirror { get; init; }

    /// <summary><c>corsPolicy</c>.</summary>
    public CorsPolicy? Cors { get; init; }

    /// <summary><c>delegate</c>: this route's traffic is routed by another (host-less) VirtualService's routes, merged under this one (<see cref="VirtualServiceDelegation"/>).</summary>
    public DelegateTarget? Delegate { get; init; }
}

/// <summary>The VirtualService a route delegates to: its name and namespace (the root's when unset).</summary>
public sealed record DelegateTarget(string Name, string? Namespace);

/// <summary>One <c>match</c> entry; all of its conditions must hold.</summary>
public sealed record HttpMatchRequest(
    string? Name,
    StringMatch? Uri,
    ImmutableSortedDictionary<string, StringMatch> Headers,
    int? Port,
    ImmutableArray<string> Gateways)
{
    public StringMatch? Scheme { get; init; }

    public StringMatch? Method { get; init; }

    public StringMatch? Authority { get; init; }

    /// <summary><c>queryParams</c>: exact or regex (Istio accepts no prefix here).</summary>
    public ImmutableSortedDictionary<string, StringMatch> QueryParams { get; init; } = ImmutableSortedDictionary<string, StringMatch>.Empty;

    /// <summary><c>withoutHeaders</c>: the request must not carry a matching header.</summary>
    public ImmutableSortedDictionary<string, StringMatch> WithoutHeaders { get; init; } = ImmutableSortedDictionary<string, StringMatch>.Empty;

    /// <summary><c>ignoreUriCase</c>: the uri match (exact or prefix) ignores case.</summary>
    public bool IgnoreUriCase { get; init; }
}

/// <summary>Istio <c>HTTPFaultInjection</c>.</summary>
public sealed record HttpFault(FaultDelay? Delay, FaultAbort? Abort);

/// <summary>A fixed delay before forwarding a <see cref="Percent"/> of requests (null: every request).</summary>
public sealed record FaultDelay(TimeSpan FixedDelay, double? Percent);

/// <summary>An abort with an HTTP status or a gRPC status (by name, e.g. <c>UNAVAILABLE</c>) of a <see cref="Percent"/> of requests (null: every request).</summary>
public sealed record FaultAbort(int? HttpStatus, string? GrpcStatus, double? Percent);

/// <summary>Istio <c>Headers</c>: edits of the request and of the response.</summary>
public sealed record HeaderOperations(HeaderEdits Request, HeaderEdits Response)
{
    public bool IsEmpty => Request.IsEmpty && Response.IsEmpty;
}

/// <summary>One side's <c>set</c> (overwrite), <c>add</c> (append) and <c>remove</c>.</summary>
public sealed record HeaderEdits(
    ImmutableSortedDictionary<string, string> Set,
    ImmutableSortedDictionary<string, string> Add,
    ImmutableArray<string> Remove)
{
    public static HeaderEdits None { get; } = new(ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty, []);

    public bool IsEmpty => Set.IsEmpty && Add.IsEmpty && (Remove.IsDefaultOrEmpty);
}

/// <summary>Istio <c>HTTPRewrite</c>.</summary>
public sealed record HttpRewrite(string? Uri, string? Authority, RegexRewrite? UriRegex);

/// <summary>Istio <c>RegexRewrite</c> (RE2 <c>match</c>, <c>rewrite</c> with \1 groups).</summary>
public sealed record RegexRewrite(string Match, string Rewrite);

/// <summary>Istio <c>HTTPRedirect</c>: <see cref="DerivePort"/> is <c>FROM_PROTOCOL_DEFAULT</c> or <c>FROM_REQUEST_PORT</c>.</summary>
public sealed record HttpRedirect(string? Uri, string? Authority, int? Port, string? DerivePort, string? Scheme, int? RedirectCode);

/// <summary>Istio <c>HTTPDirectResponse</c>: status and an optional body (text, or bytes given base64).</summary>
public sealed record HttpDirectResponse(int Status, string? BodyString, string? BodyBytes);

/// <summary>A mirror destination and the share of requests mirrored (null: every request).</summary>
public sealed record HttpMirror(Destination Destination, double? Percent);

/// <summary>Istio <c>CorsPolicy</c>.</summary>
public sealed record CorsPolicy(
    ImmutableArray<StringMatch> AllowOrigins,
    ImmutableArray<string> AllowMethods,
    ImmutableArray<string> AllowHeaders,
    ImmutableArray<string> ExposeHeaders,
    TimeSpan? MaxAge,
    bool? AllowCredentials);

/// <summary>An Istio <c>StringMatch</c> (exactly one of exact, prefix, regex).</summary>
public sealed record StringMatch(StringMatchKind MatchKind, string Value);

/// <summary>The form of a <see cref="StringMatch"/>.</summary>
public enum StringMatchKind
{
    Exact,
    Prefix,
    Regex,

    /// <summary>A header match that sets no match (<c>{}</c>) or regex <c>*</c>: the header is present (Istio's present_match).</summary>
    Present,
}

/// <summary>A weighted destination of a route, with header edits that apply when it is chosen.</summary>
public sealed record RouteDestination(Destination Destination, int? Weight)
{
    public HeaderOperations? Headers { get; init; }
}

/// <summary>A destination: host (short or FQDN), optional subset and port.</summary>
public sealed record Destination(string Host, string? Subset, int? Port);

/// <summary>Istio <c>HTTPRetry</c>.</summary>
public sealed record HttpRetry(int Attempts, TimeSpan? PerTryTimeout, string? RetryOn)
{
    /// <summary><c>retryRemoteLocalities</c>: retries may go to other localities.</summary>
    public bool? RetryRemoteLocalities { get; init; }
}

/// <summary>A <c>tls</c> route: SNI matches (any of) and destinations.</summary>
public sealed record TlsRoute(ImmutableArray<TlsMatch> Match, ImmutableArray<RouteDestination> Route);

/// <summary>A <c>tls</c> route match: the SNI names and optionally the destination port.</summary>
public sealed record TlsMatch(ImmutableArray<string> SniHosts, int? Port);

/// <summary>A <c>tcp</c> route: optional destination-port match and destinations.</summary>
public sealed record TcpRoute(int? Port, ImmutableArray<RouteDestination> Route);
