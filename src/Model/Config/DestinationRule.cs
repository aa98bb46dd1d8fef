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

/// <summary>
/// Istio's <c>trafficPolicy</c>: load balancing, connection pool, outlier detection and per-port
/// overrides. Each block replaces the parent's block as a whole when a subset or port sets it, as
/// Istio merges them.
/// </summary>
public sealed record TrafficPolicy(LoadBalancerKind? LoadBalancer)
{
    /// <summary><c>loadBalancer.consistentHash</c>; overrides <see cref="LoadBalancer"/> (simple).</summary>
    public ConsistentHash? ConsistentHash { get; init; }

    /// <summary><c>loadBalancer.warmup</c> (or the deprecated <c>warmupDurationSecs</c>).</summary>
    public Warmup? Warmup { get; init; }

    /// <summary><c>loadBalancer.localityLbSetting</c>: locality-aware priorities (failover) or weights (distribute).</summary>
    public LocalityLbSetting? LocalityLb { get; init; }

    /// <summary>True when the policy sets a load-balancer block (simple, consistentHash, warmup or localityLbSetting).</summary>
    public bool HasLoadBalancer => LoadBalancer is not null || ConsistentHash is not null || Warmup is not null || LocalityLb is not null;

    public ConnectionPool? ConnectionPool { get; init; }

    public OutlierDetection? OutlierDetection { get; init; }

    /// <summary><c>tls</c>: how the proxy talks TLS to the destination.</summary>
    public ClientTls? Tls { get; init; }

    /// <summary><c>portLevelSettings</c>: a whole policy per port (never nested).</summary>
    public ImmutableArray<PortTrafficPolicy> PortLevelSettings { get; init; } = [];
}

/// <summary>One <c>portLevelSettings</c> entry.</summary>
public sealed record PortTrafficPolicy(int Port, TrafficPolicy Policy);

/// <summary>Istio <c>ConsistentHashLB</c>: exactly one hash key, and the ring or Maglev table.</summary>
public sealed record ConsistentHash(
    string? HttpHeaderName,
    HttpCookie? HttpCookie,
    bool UseSourceIp,
    string? HttpQueryParameterName,
    long? RingHashMinimumRingSize,
    long? MaglevTableSize,
    bool Maglev,
    long? DeprecatedMinimumRingSize);

/// <summary>A hash cookie: name, path and ttl (a cookie with a ttl is generated when absent).</summary>
public sealed record HttpCookie(string Name, string? Path, TimeSpan? Ttl);

/// <summary>
/// Istio <c>LocalityLoadBalancerSetting</c>. <see cref="Enabled"/> null means enabled (as the
/// mesh default); <c>distribute</c> and <c>failover</c> exclude each other.
/// </summary>
public sealed record LocalityLbSetting(
    bool? Enabled,
    ImmutableArray<LocalityDistribute> Distribute,
    ImmutableArray<LocalityFailover> Failover,
    ImmutableArray<string> FailoverPriority);

/// <summary>Traffic from proxies in <see cref="From"/> (<c>region/zone/subzone</c>, a trailing <c>*</c>) goes to <see cref="To"/>'s localities by percent.</summary>
public sealed record LocalityDistribute(string From, ImmutableSortedDictionary<string, int> To);

/// <summary>Proxies in region <see cref="From"/> fail over to region <see cref="To"/> before any other region.</summary>
public sealed record LocalityFailover(string From, string To);

/// <summary>Istio <c>WarmupConfiguration</c> (slow start).</summary>
public sealed record Warmup(TimeSpan Duration, double? MinimumPercent, double? Aggression);

/// <summary>Istio <c>ConnectionPoolSettings</c>.</summary>
public sealed record ConnectionPool(TcpPool? Tcp, HttpPool? Http);

/// <summary>Istio <c>ConnectionPoolSettings.TCPSettings</c>.</summary>
public sealed record TcpPool(int? MaxConnections, TimeSpan? ConnectTimeout, TimeSpan? MaxConnectionDuration, TimeSpan? IdleTimeout, TcpKeepalive? Keepalive);

/// <summary>TCP keepalive: probes, time and interval.</summary>
public sealed record TcpKeepalive(int? Probes, TimeSpan? Time, TimeSpan? Interval);

/// <summary>Istio <c>ConnectionPoolSettings.HTTPSettings</c>.</summary>
public sealed record HttpPool(
    int? Http1MaxPendingRequests,
    int? Http2MaxRequests,
    int? MaxRequestsPerConnection,
    int? MaxRetries,
    TimeSpan? IdleTimeout,
    string? H2UpgradePolicy,
    bool? UseClientProtocol,
    int? MaxConcurrentStreams);

/// <summary>Istio <c>OutlierDetection</c>.</summary>
public sealed record OutlierDetection(
    int? Consecutive5xxErrors,
    int? ConsecutiveGatewayErrors,
    int? ConsecutiveLocalOriginFailures,
    bool SplitExternalLocalOriginErrors,
    TimeSpan? Interval,
    TimeSpan? BaseEjectionTime,
    int? MaxEjectionPercent,
    int? MinHealthPercent);

/// <summary>Istio <c>ClientTLSSettings</c>.</summary>
public sealed record ClientTls(
    ClientTlsMode Mode,
    string? ClientCertificate,
    string? PrivateKey,
    string? CaCertificates,
    string? CaCrl,
    string? CredentialName,
    ImmutableArray<string> SubjectAltNames,
    string? Sni,
    bool InsecureSkipVerify);

/// <summary><c>ClientTLSSettings.mode</c>.</summary>
public enum ClientTlsMode
{
    Disable,
    Simple,
    Mutual,
    IstioMutual,
}

/// <summary><c>trafficPolicy.loadBalancer.simple</c>.</summary>
public enum LoadBalancerKind
{
    Unspecified,
    RoundRobin,
    LeastRequest,
    Random,
    Passthrough,
}
