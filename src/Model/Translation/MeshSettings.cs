namespace Mesh.Model.Translation;

/// <summary>Mesh-wide translation settings (Istio MeshConfig equivalents).</summary>
public sealed record MeshSettings(
    string DomainSuffix,
    TimeSpan ConnectTimeout,
    bool AllowAnyOutbound)
{
    public static readonly MeshSettings Default = new("cluster.local", TimeSpan.FromSeconds(10), AllowAnyOutbound: true);
}
