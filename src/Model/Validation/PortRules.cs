using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Model.Validation;

/// <summary>Port, protocol and address rules shared by the validators.</summary>
internal static class PortRules
{
    /// <summary>Istio's protocol names (<c>protocol.Parse</c>), compared case-insensitively.</summary>
    private static readonly HashSet<string> Protocols = new(StringComparer.OrdinalIgnoreCase)
    {
        "TCP", "UDP", "GRPC", "GRPC-Web", "HTTP", "HTTP_PROXY", "HTTP2", "HTTPS", "TLS", "Mongo", "Redis", "MySQL",
    };

    /// <summary>Istio's HTTP protocols (<c>Instance.IsHTTP</c>) and TLS ones (<c>IsTLS</c>): those that can tell hosts apart on one port.</summary>
    private static readonly HashSet<string> HttpOrTls = new(StringComparer.OrdinalIgnoreCase)
    {
        "HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-Web", "HTTPS", "TLS",
    };

    private static string Expected => string.Join(", ", Protocols.Order(StringComparer.Ordinal));

    public static string? Number(int port) =>
        port is >= 1 and <= 65535 ? null : $"port number {port} is out of range 1..65535";

    /// <summary>
    /// Istio's <c>ValidateProtocol</c> for service and sidecar ports: empty is allowed (unset: Istio
    /// sniffs the protocol, Mesh serves the port as TCP); anything else must be a known protocol.
    /// </summary>
    public static string? Protocol(string protocol) =>
        protocol.Length == 0 || Protocols.Contains(protocol)
            ? null
            : $"unrecognized protocol '{protocol}', expected one of {Expected}";

    /// <summary>A Gateway server's protocol (Istio's <c>validateServerPort</c>): required, since a server port is never sniffed.</summary>
    public static string? ServerProtocol(string protocol) =>
        protocol.Length == 0 ? $"is required for a Gateway server, expected one of {Expected}" : Protocol(protocol);

    /// <summary>True for a known protocol that is HTTP or TLS (Istio's <c>IsHTTP() || IsTLS()</c>); false for unset, TCP and the rest.</summary>
    public static bool IsHttpOrTls(string protocol) => HttpOrTls.Contains(protocol);

    /// <summary>True for a literal IPv4 (four dotted decimals) or IPv6 address; .NET alone would accept <c>10.1</c>.</summary>
    public static bool IsIp(string address) => ParseIp(address) is not null;

    public static bool IsIp(string address, AddressFamily family) => ParseIp(address)?.AddressFamily == family;

    /// <summary>True for an IP or a CIDR block such as <c>10.0.0.0/16</c>.</summary>
    public static bool IsIpOrCidr(string address)
    {
        var slash = address.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return IsIp(address);
        }
        var ip = ParseIp(address[..slash]);
        var max = ip?.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return ip is not null
            && int.TryParse(address[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
            && bits <= max;
    }

    private static IPAddress? ParseIp(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return null;
        }
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.Contains(':', StringComparison.Ordinal) && !address.Contains('%', StringComparison.Ordinal) ? ip : null;
        }
        var parts = address.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)) ? ip : null;
    }
}
