using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>ServiceEntry rules (Istio's <c>ValidateServiceEntry</c>): hosts, addresses, ports, location, resolution and endpoints versus workloadSelector.</summary>
internal static class ServiceEntryValidator
{
    private static readonly string[] Resolutions = ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"];
    private static readonly string[] Locations = ["MESH_EXTERNAL", "MESH_INTERNAL"];

    public static void Validate(ServiceEntry entry, ValidationContext context)
    {
        Hosts(entry, context);
        for (var i = 0; i < entry.Addresses.Length; i++)
        {
            if (!PortRules.IsIpOrCidr(entry.Addresses[i]))
            {
                context.Add($"spec.addresses[{i}]", $"'{entry.Addresses[i]}' is not a valid IP address or CIDR block");
            }
        }
        Ports(entry, context);
        if (!Locations.Contains(entry.Location, StringComparer.Ordinal))
        {
            context.Add("spec.location", $"unknown location '{entry.Location}', expected MESH_EXTERNAL or MESH_INTERNAL");
        }
        if (!Resolutions.Contains(entry.Resolution, StringComparer.Ordinal))
        {
            context.Add("spec.resolution", $"unknown resolution '{entry.Resolution}', expected one of {string.Join(", ", Resolutions)}");
        }
        if (!entry.Endpoints.IsDefaultOrEmpty && entry.WorkloadSelector is not null)
        {
            context.Add("spec.workloadSelector", "only one of endpoints or workloadSelector may be set");
        }
        if (entry.WorkloadSelector is { } selector)
        {
            NameRules.Labels(context, "spec.workloadSelector.labels", selector.Labels);
        }
        Endpoints(entry, context);
        // STATIC with neither endpoints nor a workloadSelector is allowed: Istio only warns (no endpoints yet).
    }

    private static void Hosts(ServiceEntry entry, ValidationContext context)
    {
        if (entry.Hosts.IsDefaultOrEmpty)
        {
            context.Add("spec.hosts", "at least one host is required");
            return;
        }
        for (var i = 0; i < entry.Hosts.Length; i++)
        {
            var host = entry.Hosts[i];
            if (host == "*")
            {
                context.Add($"spec.hosts[{i}]", "wildcard host '*' is not allowed for a ServiceEntry");
            }
            else if (HostRules.WildcardDomain(host) is { } reason)
            {
                context.Add($"spec.hosts[{i}]", reason);
            }
            else if (host.StartsWith('*') && entry.Resolution is "DNS" or "DNS_ROUND_ROBIN" && entry.Endpoints.IsDefaultOrEmpty)
            {
                context.Add($"spec.hosts[{i}]", $"wildcard host '{host}' needs endpoints when resolution is {entry.Resolution}");
            }
        }
    }

    // No ports is valid, as in Istio (ports is optional in service_entry.proto): the hosts are
    // defined, but nothing is served for them (clusters and listeners are per port).
    private static void Ports(ServiceEntry entry, ValidationContext context)
    {
        var hosts = entry.Hosts.IsDefault ? 0 : entry.Hosts.Length;
        var ports = entry.Ports.IsDefault ? [] : entry.Ports;
        var numbers = new HashSet<int>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Length; i++)
        {
            var port = ports[i];
            var field = $"spec.ports[{i}]";
            if (PortRules.Number(port.Number) is { } reason)
            {
                context.Add(field + ".number", reason);
            }
            else if (!numbers.Add(port.Number))
            {
                context.Add(field + ".number", $"port number {port.Number} is already used by another port");
            }
            if (port.Name.Length == 0)
            {
                context.Add(field + ".name", "is required");
            }
            else if (NameRules.Dns1123Label(port.Name) is { } nameError)
            {
                context.Add(field + ".name", nameError);
            }
            else if (!names.Add(port.Name))
            {
                context.Add(field + ".name", $"port name '{port.Name}' is already used by another port");
            }
            if (PortRules.Protocol(port.Protocol) is { } protocolError)
            {
                context.Add(field + ".protocol", protocolError);
            }
            else if (entry.Resolution != "NONE" && hosts > 1 && !PortRules.IsHttpOrTls(port.Protocol))
            {
                // Istio: "multiple hosts provided with non-HTTP, non-TLS ports"; with NONE the hosts are ignored.
                var described = port.Protocol.Length == 0 ? "no protocol" : $"protocol {port.Protocol}";
                context.Add(field + ".protocol",
                    $"port {port.Number} has {described}: with {hosts} hosts and resolution {entry.Resolution} every port must be HTTP or TLS, "
                    + "because plain TCP cannot tell the hosts apart");
            }
            if (port.TargetPort is { } target)
            {
                context.Check(field + ".targetPort", PortRules.Number(target));
            }
        }
    }

    private static void Endpoints(ServiceEntry entry, ValidationContext context)
    {
        if (entry.Resolution is not ("NONE" or "STATIC") && (entry.Addresses.IsDefault ? [] : entry.Addresses).Any(a => a.Contains('/', StringComparison.Ordinal)))
        {
            context.Add("spec.addresses", "CIDR addresses are allowed only for NONE/STATIC resolution types");
        }
        if (entry.Resolution == "DNS_ROUND_ROBIN" && (entry.Endpoints.IsDefault ? 0 : entry.Endpoints.Length) > 1)
        {
            context.Add("spec.endpoints", "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN");
        }
        if (entry.Resolution == "NONE" && !entry.Endpoints.IsDefaultOrEmpty)
        {
            context.Add("spec.endpoints", "endpoints must not be set when resolution is NONE");
        }
        var ports = entry.Ports.IsDefault ? [] : entry.Ports;
        var portNames = ports.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < entry.Endpoints.Length; i++)
        {
            var endpoint = entry.Endpoints[i];
            var field = $"spec.endpoints[{i}]";
            WorkloadEntryValidator.Validate(endpoint, field, context, entry.Resolution);
            if (entry.Resolution == "STATIC" && endpoint.IsUnixSocket && ports.Length != 1)
            {
                context.Add(field + ".address", $"a unix:// endpoint needs exactly one port in spec.ports, found {ports.Length}");
            }
            foreach (var name in endpoint.Ports.Keys.Where(n => !portNames.Contains(n)))
            {
                context.Add($"{field}.ports.{name}", $"port '{name}' is not defined in spec.ports");
            }
        }
    }
}
