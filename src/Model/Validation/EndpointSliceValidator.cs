using System.Net.Sockets;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>EndpointSlice rules: the service-name label, the address type, and addresses that match it.</summary>
internal static class EndpointSliceValidator
{
    public static void Validate(EndpointSlice slice, ValidationContext context)
    {
        if (slice.ServiceName.Length == 0)
        {
            context.Add($"metadata.labels.{EndpointSlice.ServiceNameLabel}", "is required: it names the Service this slice belongs to");
        }
        AddressFamily? family = slice.AddressType switch
        {
            "IPv4" => AddressFamily.InterNetwork,
            "IPv6" => AddressFamily.InterNetworkV6,
            _ => null,
        };
        if (family is null && slice.AddressType != "FQDN")
        {
            context.Add("addressType", $"unknown addressType '{slice.AddressType}', expected IPv4, IPv6 or FQDN");
        }
        for (var i = 0; i < slice.Ports.Length; i++)
        {
            if (slice.Ports[i].Port is { } port)
            {
                context.Check($"ports[{i}].port", PortRules.Number(port));
            }
        }
        for (var i = 0; i < slice.Endpoints.Length; i++)
        {
            var addresses = slice.Endpoints[i].Addresses;
            if (addresses.IsDefaultOrEmpty)
            {
                context.Add($"endpoints[{i}].addresses", "at least one address is required");
            }
            for (var a = 0; a < addresses.Length; a++)
            {
                var address = addresses[a];
                var valid = family is { } f ? PortRules.IsIp(address, f) : slice.AddressType != "FQDN" || HostRules.WildcardDomain(address) is null;
                if (!valid)
                {
                    context.Add($"endpoints[{i}].addresses[{a}]", $"'{address}' is not a valid {slice.AddressType} address");
                }
            }
        }
    }
}
