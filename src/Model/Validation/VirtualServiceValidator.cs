using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>VirtualService rules: hosts, gateways, HTTP matches, destinations and weights, timeouts and retries.</summary>
internal static class VirtualServiceValidator
{
    public static void Validate(VirtualService vs, ValidationContext context)
    {
        if (vs.Hosts.IsDefaultOrEmpty)
        {
            context.Add("spec.hosts", "at least one host is required");
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
        if (vs.Http.IsDefaultOrEmpty && vs.Tcp.IsDefaultOrEmpty)
        {
            context.Add("spec", "at least one http or tcp route is required");
        }
        for (var i = 0; i < vs.Http.Length; i++)
        {
            HttpRouteRules.Validate(vs.Http[i], $"spec.http[{i}]", context);
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
