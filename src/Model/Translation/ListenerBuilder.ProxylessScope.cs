namespace Mesh.Model.Translation;

public static partial class ListenerBuilder
{
    /// <summary>
    /// A proxyless gRPC scope: no listeners or routes of its own (each service owns its
    /// <c>FQDN:PORT</c> API listener and route), but the sets a wildcard request selects:
    /// every cluster of every visible service for CDS, every visible service port's API listener
    /// for LDS, as Istio's gRPC generator serves an LDS or CDS request without names.
    /// </summary>
    public static ScopeResources BuildProxylessScope(ScopeView view)
    {
        var services = (view.Services.IsDefault ? [] : view.Services)
            .DistinctBy(s => s.Hostname, StringComparer.Ordinal)
            .ToList();
        var clusterNames = services
            .SelectMany(s => s.ClusterNames.IsDefault ? [] : s.ClusterNames)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var listenerNames = services
            .SelectMany(s => (s.Ports.IsDefault ? [] : s.Ports).Select(p => ResourceNames.HostPort(s.Hostname, p.Port)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return new ScopeResources([], [], [], [.. clusterNames], [.. listenerNames], []);
    }
}
