using Mesh.Model.Fences;

namespace Mesh.XdsGateway.AccessLog;

/// <summary>
/// One access-log entry of the lazy egress read as a fence report: which fence sent the request
/// (the <c>x-mesh-lazy-source</c> header its fallback route set) and which host it called (the
/// authority, as an FQDN). Pure: the receiver counts each rejection under its reason.
/// </summary>
public static class FallbackReport
{
    /// <summary>
    /// The fence key (<c>NAMESPACE/SERVICE</c>) and host of an entry, or the reason it is skipped:
    /// <c>no-source</c>, <c>bad-source</c>, <c>no-authority</c>, <c>ip-authority</c> (a call by address, e.g. a TCP tunnel), <c>bad-authority</c>,
    /// <c>foreign-namespace</c> (a per-namespace egress reporting another namespace's fence).
    /// </summary>
    public static (string? Fence, string? Host, string? Skip) Read(string? source, string? authority, string callerNamespace, string egressNamespace, string domainSuffix)
    {
        if (string.IsNullOrEmpty(source))
        {
            return (null, null, "no-source");
        }
        var slash = source.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == source.Length - 1 || source.IndexOf('/', slash + 1) >= 0)
        {
            return (null, null, "bad-source");
        }
        var ns = source[..slash];
        if (callerNamespace != egressNamespace && ns != callerNamespace)
        {
            return (null, null, "foreign-namespace");
        }
        if (string.IsNullOrEmpty(authority))
        {
            return (null, null, "no-authority");
        }
        if (IsAddress(authority))
        {
            // A call by address (a fenced sidecar's TCP tunnel is one: its authority is the IP:port
            // dialled): served through the egress, but an address names no host to learn.
            return (null, null, "ip-authority");
        }
        var host = HostOf(authority, ns, domainSuffix);
        return host is null || FencePolicy.CheckLearnedHost(host) is not null ? (null, null, "bad-authority") : (source, host, null);
    }

    /// <summary>An authority that is an IP literal, with or without a port.</summary>
    public static bool IsAddress(string authority)
    {
        var host = authority.Trim();
        if (host.StartsWith('['))
        {
            return true;
        }
        var colon = host.LastIndexOf(':');
        if (colon >= 0 && host.IndexOf(':') == colon)
        {
            host = host[..colon];
        }
        return System.Net.IPAddress.TryParse(host, out _);
    }

    /// <summary>
    /// The FQDN an authority names from a pod of <paramref name="ns"/>: the port dropped, and
    /// Kubernetes' short forms expanded (<c>name</c>, <c>name.ns</c>, <c>name.ns.svc</c>); an IP is not a host.
    /// </summary>
    public static string? HostOf(string authority, string ns, string domainSuffix)
    {
        if (IsAddress(authority))
        {
            return null;
        }
        var host = authority.Trim().ToLowerInvariant();
        var colon = host.LastIndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }
        host = host.TrimEnd('.');
        if (host.Length == 0 || System.Net.IPAddress.TryParse(host, out _))
        {
            return null;
        }
        var labels = host.Split('.');
        return labels.Length switch
        {
            1 => $"{host}.{ns}.svc.{domainSuffix}",
            2 => $"{host}.svc.{domainSuffix}",
            3 when labels[2] == "svc" => $"{host}.{domainSuffix}",
            _ => host,
        };
    }
}
