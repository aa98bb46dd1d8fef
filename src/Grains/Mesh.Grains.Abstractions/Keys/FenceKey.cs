namespace Mesh.Grains.Keys;

/// <summary>Key of a <see cref="IServiceFenceGrain"/>: <c>NAMESPACE/SERVICE</c>, e.g. <c>shop/web</c>.</summary>
public static class FenceKey
{
    public static string From(string ns, string service) => $"{ns}/{service}";

    /// <summary>The namespace and service of a fence key.</summary>
    public static (string Namespace, string Service) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 || slash == key.Length - 1
            ? throw new ArgumentException($"fence key '{key}' is not NAMESPACE/SERVICE", nameof(key))
            : (key[..slash], key[(slash + 1)..]);
    }
}
