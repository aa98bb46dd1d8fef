namespace Mesh.Model.Translation;

/// <summary>Istio-compatible resource names (DESIGN.md, "Envoy resource naming").</summary>
public static class ResourceNames
{
    public const string PassthroughCluster = "PassthroughCluster";
    public const string BlackHoleCluster = "BlackHoleCluster";
    public const string VirtualOutbound = "virtualOutbound";
    public const string VirtualInbound = "virtualInbound";
    public const int VirtualOutboundPort = 15001;

    /// <summary>The lazy egress's ORIGINAL_DST cluster that sends a fallback request where its application dialled (by header).</summary>
    public const string LazyOriginalDstCluster = "lazy-egress-original-dst";
    public const int VirtualInboundPort = 15006;

    /// <summary><c>outbound|PORT|SUBSET|FQDN</c>.</summary>
    public static string OutboundCluster(int port, string? subset, string host) => $"outbound|{port}|{subset}|{host}";

    /// <summary><c>inbound|PORT||</c>.</summary>
    public static string InboundCluster(int port) => $"inbound|{port}||";

    /// <summary>Sidecar outbound HTTP listener <c>0.0.0.0_PORT</c>.</summary>
    public static string OutboundListener(int port) => $"0.0.0.0_{port}";

    /// <summary>Sidecar outbound TCP listener <c>VIP_PORT</c>.</summary>
    public static string VipListener(string vip, int port) => $"{vip}_{port}";

    /// <summary>Sidecar route for a port: the port number.</summary>
    public static string SidecarRoute(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Router route for a gateway server port: <c>http.PORT</c>.</summary>
    public static string GatewayRoute(int port) => $"http.{port}";

    /// <summary>The route of an HTTPS Gateway server that terminates TLS, as Istio names it: <c>https.PORT.PORTNAME.GATEWAY.NAMESPACE</c>.</summary>
    public static string GatewayHttpsRoute(int port, string portName, string gateway, string ns) => $"https.{port}.{portName}.{gateway}.{ns}";

    /// <summary>Proxyless gRPC listener and route name: <c>FQDN:PORT</c>.</summary>
    public static string HostPort(string host, int port) => $"{host}:{port}";

    /// <summary>Parses <c>outbound|PORT|SUBSET|FQDN</c>; false for any other name.</summary>
    public static bool TryParseOutbound(string name, out int port, out string subset, out string host)
    {
        // Read on every resolution of every name a proxy holds: no split, only the parts kept are allocated.
        port = 0;
        subset = host = "";
        const string prefix = "outbound|";
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = name.AsSpan(prefix.Length);
        var first = rest.IndexOf('|');
        if (first < 0 || !int.TryParse(rest[..first], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out port))
        {
            port = 0;
            return false;
        }
        rest = rest[(first + 1)..];
        var second = rest.IndexOf('|');
        if (second < 0 || rest[(second + 1)..].Contains('|') || second == rest.Length - 1)
        {
            port = 0;
            return false;
        }
        subset = second == 0 ? "" : rest[..second].ToString();
        host = rest[(second + 1)..].ToString();
        return true;
    }

    /// <summary>Parses <c>FQDN:PORT</c> (a proxyless listener or route name); false for anything else.</summary>
    public static bool TryParseHostPort(string name, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = name.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(name.AsSpan(colon + 1), out port) || port is <= 0 or > 65535)
        {
            return false;
        }
        host = name[..colon];
        return host.Contains('.', StringComparison.Ordinal);
    }
}
