namespace Mesh.Grains.Keys;

/// <summary>Key of a <see cref="IServiceGrain"/>: the service FQDN, e.g. <c>reviews.bookinfo.svc.cluster.local</c>.</summary>
public static class ServiceKey
{
    public static string From(string hostname) => hostname.ToLowerInvariant();
}
