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

    /// <summary>A learned host quiet this long goes EXPIREWAIT, and after twice this long EXPIRE (<c>Lazy:QuietPeriod</c>).</summary>
    public TimeSpan LazyQuietPeriod { get; init; } = TimeSpan.FromHours(1);
}
