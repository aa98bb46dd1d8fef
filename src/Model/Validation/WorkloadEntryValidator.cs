using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>
/// Rules for a workload spec, as a <c>WorkloadEntry</c> or an inline ServiceEntry endpoint (Istio's
/// <c>validateWorkloadEntry</c>, plus the per-resolution address rules of <c>ValidateServiceEntry</c>).
/// </summary>
internal static class WorkloadEntryValidator
{
    /// <param name="spec">The workload.</param>
    /// <param name="field">Its field path: <c>spec</c>, or <c>spec.endpoints[i]</c>.</param>
    /// <param name="context">Where errors go.</param>
    /// <param name="resolution">The ServiceEntry's resolution for an inline endpoint; null for a WorkloadEntry.</param>
    public static void Validate(WorkloadEntrySpec spec, string field, ValidationContext context, string? resolution = null)
    {
        Address(spec, field + ".address", context, resolution);
        if (spec.IsUnixSocket && spec.Ports.Count > 0)
        {
            context.Add(field + ".ports", "a unix:// endpoint must not have ports");
        }
        foreach (var (name, number) in spec.Ports)
        {
            context.Check($"{field}.ports.{name}", PortRules.Number(number));
        }
        if (spec.Weight is < 0)
        {
            context.Add(field + ".weight", $"weight {spec.Weight} must be non-negative");
        }
        NameRules.Labels(context, field + ".labels", spec.Labels);
    }

    private static void Address(WorkloadEntrySpec spec, string field, ValidationContext context, string? resolution)
    {
        var address = spec.Address;
        var dns = resolution is "DNS" or "DNS_ROUND_ROBIN";
        if (address.Length == 0)
        {
            if (string.IsNullOrEmpty(spec.Network))
            {
                context.Add(field, "is required (it may be left out only when network is set)");
            }
            else if (dns)
            {
                context.Add(field, $"is required when resolution is {resolution}: the endpoint's address is what is resolved");
            }
            // Otherwise Istio only warns: the workload is reached through its network's gateway. Mesh
            // has no network gateways, so the registry leaves it out of EDS and reports it in /debug/ingestz.
            return;
        }
        if (spec.IsUnixSocket)
        {
            context.Check(field, dns
                ? "a unix:// socket cannot be resolved with DNS; use resolution STATIC"
                : UnixPath(address[WorkloadEntrySpec.UnixAddressPrefix.Length..]));
            return;
        }
        if (PortRules.IsIp(address))
        {
            return;
        }
        if (resolution == "STATIC")
        {
            context.Add(field, $"'{address}' is not a valid IP address (resolution STATIC needs IPs)");
        }
        else if (HostRules.WildcardDomain(address) is not null)
        {
            context.Add(field, dns
                ? $"'{address}' is not a valid IP address or DNS name"
                : $"'{address}' is not a valid IP address, DNS name or unix:// socket");
        }
    }

    /// <summary>Istio's <c>ValidateUnixAddress</c>: an absolute file path, or an abstract socket name starting with '@'.</summary>
    private static string? UnixPath(string path) =>
        path.Length == 0 ? "a unix:// address needs a socket path"
        : path.StartsWith('@') || (path.StartsWith('/') && !path.EndsWith('/')) ? null
        : $"'{path}' is not an absolute path to a socket file (or an @abstract socket name)";
}
