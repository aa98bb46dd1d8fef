using System.Globalization;
using System.Net;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>Host-name rules: resolving VirtualService destination hosts and a service's virtual-host domains.</summary>
internal static class HostNames
{
    /// <summary>
    /// Resolves a destination host written in a VirtualService of <paramref name="ns"/> as Istio does:
    /// only a short name (no dot) is expanded to <c>foo.ns.svc.SUFFIX</c>; anything with a dot, IPs
    /// and wildcards are taken as written.
    /// </summary>
    public static string Resolve(string host, string ns, string domainSuffix) =>
        host.Length == 0 || IPAddress.TryParse(host, out _) ? host : Visibility.ResolveHost(host, ns, domainSuffix);

    /// <summary>
    /// The domains of a service's virtual host on <paramref name="port"/>, in a fixed order. Kubernetes
    /// services answer to every name resolv.conf search paths produce; the short name only in the
    /// service's own namespace.
    /// </summary>
    public static List<string> Domains(MeshService service, int port, bool sameNamespace)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var names = new List<string> { service.Hostname };
        if (service.Origin == ServiceOrigin.Kubernetes)
        {
            var shortName = service.ShortName;
            if (sameNamespace)
            {
                names.Add(shortName);
            }
            names.Add($"{shortName}.{service.Namespace}");
            names.Add($"{shortName}.{service.Namespace}.svc");
        }
        names.AddRange(service.Addresses.Distinct().Order(StringComparer.Ordinal));
        var domains = new List<string>(names.Count * 2);
        foreach (var name in names.Distinct())
        {
            domains.Add(name);
            domains.Add($"{name}:{p}");
        }
        return domains;
    }
}
