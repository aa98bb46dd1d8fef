using Mesh.Model.Config;

namespace Mesh.Model.Services;

/// <summary>
/// Istio visibility rules: <c>exportTo</c> on services and the <c>namespace/host</c> egress hosts of
/// a Sidecar.
/// </summary>
public static class Visibility
{
    /// <summary>
    /// True when a service exported with <paramref name="exportTo"/> from <paramref name="serviceNamespace"/>
    /// is visible in <paramref name="proxyNamespace"/>. Empty means "*" (Istio's default).
    /// </summary>
    public static bool IsExportedTo(IReadOnlyCollection<string> exportTo, string serviceNamespace, string proxyNamespace)
    {
        if (exportTo.Count == 0)
        {
            return true;
        }
        foreach (var e in exportTo)
        {
            if (e == "*" || e == proxyNamespace || (e == "." && serviceNamespace == proxyNamespace))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The <c>networking.istio.io/exportTo</c> annotation of a Kubernetes Service, split on commas.</summary>
    public static IReadOnlyList<string> ExportToAnnotation(ObjectMeta meta) =>
        meta.Annotations.TryGetValue("networking.istio.io/exportTo", out var v)
            ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];

    /// <summary>
    /// True when a Sidecar egress host pattern (<c>*/*</c>, <c>./*</c>, <c>ns/*</c>, <c>ns/host</c>,
    /// <c>*/host</c>, <c>~/*</c>) admits the service <paramref name="host"/> in <paramref name="serviceNamespace"/>
    /// for a proxy in <paramref name="proxyNamespace"/>.
    /// </summary>
    public static bool EgressHostMatches(string pattern, string host, string serviceNamespace, string proxyNamespace)
    {
        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }
        var ns = pattern[..slash];
        var dns = pattern[(slash + 1)..];
        var nsOk = ns == "*" || (ns == "." ? serviceNamespace == proxyNamespace : ns == serviceNamespace);
        if (!nsOk || ns == "~")
        {
            return false;
        }
        if (dns == "*")
        {
            return true;
        }
        if (dns.StartsWith("*.", StringComparison.Ordinal))
        {
            return host.EndsWith(dns[1..], StringComparison.OrdinalIgnoreCase);
        }
        return string.Equals(dns, host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The hosts <paramref name="virtualServices"/> route to (HTTP and TCP destinations), as FQDNs, each once.</summary>
    public static IEnumerable<string> DestinationHosts(IEnumerable<VirtualService> virtualServices, string domainSuffix) =>
        virtualServices.SelectMany(vs => vs.Http.SelectMany(h => h.Route).Concat(vs.Tcp.SelectMany(t => t.Route)).Concat((vs.Tls.IsDefault ? [] : vs.Tls).SelectMany(t => t.Route))
                .Select(d => ResolveHost(d.Destination.Host, vs.Meta.Namespace, domainSuffix)))
            .Distinct(StringComparer.Ordinal);

    /// <summary>Resolves a host as written in a VirtualService/DestinationRule of <paramref name="configNamespace"/> to an FQDN.</summary>
    public static string ResolveHost(string host, string configNamespace, string domainSuffix)
    {
        if (host.Contains('*', StringComparison.Ordinal))
        {
            return host;
        }

        // Istio expands only short names (no dot); anything with a dot is taken as an FQDN.
        return host.Contains('.', StringComparison.Ordinal) ? host.ToLowerInvariant() : $"{host}.{configNamespace}.svc.{domainSuffix}".ToLowerInvariant();
    }

    /// <summary>
    /// Istio's <c>host.Name.SubsetOf</c>: <paramref name="host"/> is <paramref name="of"/>, or falls
    /// under it as a wildcard (<c>*.a.com</c> holds <c>b.a.com</c> and <c>*.b.a.com</c>; <c>*</c> holds all).
    /// </summary>
    public static bool IsSubsetOf(string host, string of)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(of);
        if (string.Equals(host, of, StringComparison.OrdinalIgnoreCase) || of == "*")
        {
            return true;
        }
        if (!of.StartsWith('*'))
        {
            return false;
        }
        var suffix = of[1..];
        return host.StartsWith('*')
            ? host[1..].EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
            : host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }
}
