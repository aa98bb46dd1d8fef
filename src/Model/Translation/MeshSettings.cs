namespace Mesh.Model.Translation;

/// <summary>Mesh-wide translation settings (Istio MeshConfig equivalents).</summary>
public sealed record MeshSettings(
    string DomainSuffix,
    TimeSpan ConnectTimeout,
    bool AllowAnyOutbound)
{
    /// <summary>The lazy egress (<c>Lazy:EgressService</c>): where a fenced sidecar sends what its fence does not hold.</summary>
    public const string DefaultLazyEgress = "mesh-lazy-egress.mesh-system.svc.cluster.local";

    public static readonly MeshSettings Default = new("cluster.local", TimeSpan.FromSeconds(10), AllowAnyOutbound: true);

    /// <summary>The lazy egress service's FQDN; every fenced scope admits it and routes its fallback to it.</summary>
    public string LazyEgress { get; init; } = DefaultLazyEgress;

    /// <summary>
    /// The cluster the lazy egress sends its access log to (<c>Lazy:AccessLogCluster</c>): the xDS
    /// server's cluster of its bootstrap, since the receiver is on the xDS gateway (Istio's
    /// bootstrap names it <c>xds-grpc</c>).
    /// </summary>
    public string LazyAccessLogCluster { get; init; } = "xds-grpc";

    /// <summary>
    /// Whether <paramref name="host"/> is a lazy egress that proxies of <paramref name="ns"/> fall
    /// back to: the configured one (cluster mode), or the service of the same name in
    /// <paramref name="ns"/> itself (namespace mode, one egress per namespace as Slime's second mode).
    /// </summary>
    public bool IsLazyEgressFor(string host, string ns) =>
        string.Equals(host, LazyEgress, StringComparison.OrdinalIgnoreCase) || string.Equals(host, LazyEgressIn(ns), StringComparison.OrdinalIgnoreCase);

    /// <summary>The namespace-mode egress of <paramref name="ns"/>: the configured egress's name in that namespace.</summary>
    public string LazyEgressIn(string ns) => $"{LazyEgress.Split('.')[0]}.{ns}.svc.{DomainSuffix}";

    /// <summary>
    /// The lazy egress Service port that takes fenced sidecars' TCP on ports outside their fence
    /// (<c>Lazy:TunnelPort</c>, default 15009): HTTP CONNECT to the address the application dialled.
    /// Without such a port on the egress Service, that TCP keeps Istio's passthrough.
    /// </summary>
    public int LazyTunnelPort { get; init; } = 15009;

    /// <summary>
    /// Retries of Istio's default retry policy, for routes whose VirtualService sets no
    /// <c>retries</c> and for services without one (<c>Mesh:DefaultHttpRetryAttempts</c>, Istio's
    /// <c>meshConfig.defaultHttpRetryPolicy.attempts</c>); 0 sends no default policy, which keeps each
    /// route about 220 bytes smaller.
    /// </summary>
    public int DefaultRetryAttempts { get; init; } = HttpRouteTranslator.DefaultAttempts;

    /// <summary>A learned host quiet this long goes EXPIREWAIT, and after twice this long EXPIRE (<c>Lazy:QuietPeriod</c>).</summary>
    public TimeSpan LazyQuietPeriod { get; init; } = TimeSpan.FromHours(1);
}
