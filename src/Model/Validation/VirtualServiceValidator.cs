using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>VirtualService rules: hosts, gateways, HTTP matches, destinations and weights, timeouts and retries.</summary>
internal static class VirtualServiceValidator
{
    public static void Validate(VirtualService vs, ValidationContext context)
    {
        var isDelegate = vs.Hosts.IsDefaultOrEmpty;
        if (isDelegate)
        {
            // As Istio: a VirtualService without hosts is a delegate, merged under the routes that name it.
            if (!vs.Gateways.IsDefaultOrEmpty)
            {
                context.Add("spec.gateways", "delegate virtual service must have no gateways specified");
            }
            if (!vs.Tls.IsDefaultOrEmpty)
            {
                context.Add("spec.tls", "delegate virtual service must have no tls route specified");
            }
            if (!vs.Tcp.IsDefaultOrEmpty)
            {
                context.Add("spec.tcp", "delegate virtual service must have no tcp route specified");
            }
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < vs.Hosts.Length; i++)
            {
                var host = vs.Hosts[i];
                if (!seen.Add(host))
                {
                    context.Add($"spec.hosts[{i}]", $"duplicate host '{host}'");
                    continue;
                }
                if (host == "*" && vs.AppliesToMesh)
                {
                    context.Add($"spec.hosts[{i}]", "wildcard host '*' is not allowed for a VirtualService bound to the mesh gateway");
                }
                else
                {
                    context.Check($"spec.hosts[{i}]", HostRules.WildcardDomain(host));
                }
            }
        }
        for (var i = 0; i < vs.Gateways.Length; i++)
        {
            context.Check($"spec.gateways[{i}]", Gateway(vs.Gateways[i]));
        }
        if (vs.Http.IsDefaultOrEmpty && vs.Tcp.IsDefaultOrEmpty && vs.Tls.IsDefaultOrEmpty)
        {
            context.Add("spec", "at least one http, tcp or tls route is required");
        }
        for (var i = 0; i < vs.Http.Length; i++)
        {
            HttpRouteRules.Validate(vs.Http[i], $"spec.http[{i}]", context, isDelegate);
        }
        for (var i = 0; i < vs.Tcp.Length; i++)
        {
            var route = vs.Tcp[i];
            if (route.Port is { } port)
            {
                context.Check($"spec.tcp[{i}].match[0].port", PortRules.Number(port));
            }
            RouteRules.Destinations(route.Route, $"spec.tcp[{i}].route", context);
        }
        for (var i = 0; i < (vs.Tls.IsDefault ? 0 : vs.Tls.Length); i++)
        {
            TlsRoute(vs, vs.Tls[i], $"spec.tls[{i}]", context);
        }
    }

    /// <summary>Istio's <c>validateTLSRoute</c>: matches with SNI names each within the VirtualService's hosts, and destinations.</summary>
    private static void TlsRoute(VirtualService vs, TlsRoute route, string field, ValidationContext context)
    {
        if (route.Match.IsDefaultOrEmpty)
        {
            context.Add(field + ".match", "TLS route must have at least one match condition");
        }
        for (var m = 0; m < (route.Match.IsDefault ? 0 : route.Match.Length); m++)
        {
            var match = route.Match[m];
            var at = $"{field}.match[{m}]";
            if (match.SniHosts.IsDefaultOrEmpty)
            {
                context.Add(at + ".sniHosts", "TLS match must have at least one SNI host");
            }
            for (var h = 0; h < (match.SniHosts.IsDefault ? 0 : match.SniHosts.Length); h++)
            {
                var sni = match.SniHosts[h];
                if (HostRules.WildcardDomain(sni) is { } error)
                {
                    context.Add($"{at}.sniHosts[{h}]", error);
                }
                else if (!(vs.Hosts.IsDefault ? [] : vs.Hosts).Any(host => Services.Visibility.IsSubsetOf(sni, host)))
                {
                    context.Add($"{at}.sniHosts[{h}]", $"SNI host \"{sni}\" is not a compatible subset of any of the virtual service hosts: [{string.Join(", ", vs.Hosts)}]");
                }
            }
            if (match.Port is { } port)
            {
                context.Check(at + ".port", PortRules.Number(port));
            }
        }
        if (route.Route.IsDefaultOrEmpty)
        {
            context.Add(field + ".route", "TLS route is required");
        }
        else
        {
            RouteRules.Destinations(route.Route, field + ".route", context);
        }
    }

    /// <summary>A gateway reference is <c>mesh</c>, <c>name</c> or <c>namespace/name</c>.</summary>
    private static string? Gateway(string gateway)
    {
        if (gateway == VirtualService.MeshGateway)
        {
            return null;
        }
        var parts = gateway.Split('/');
        var valid = parts.Length switch
        {
            1 => NameRules.Dns1123Subdomain(parts[0]) is null,
            2 => NameRules.Dns1123Label(parts[0]) is null && NameRules.Dns1123Subdomain(parts[1]) is null,
            _ => false,
        };
        return valid ? null : $"gateway '{gateway}' must be 'mesh', a Gateway name or 'namespace/name'";
    }
}
