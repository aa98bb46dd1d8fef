namespace Mesh.Model.Services;

/// <summary>Protocol selection and classification, following Istio's port naming rules.</summary>
public static class ProtocolExtensions
{
    /// <summary>True for protocols routed by an HTTP connection manager (RDS).</summary>
    public static bool IsHttp(this Protocol p) => p is Protocol.Http or Protocol.Http2 or Protocol.Grpc;

    /// <summary>True for protocols whose upstream speaks HTTP/2.</summary>
    public static bool IsHttp2(this Protocol p) => p is Protocol.Http2 or Protocol.Grpc;

    /// <summary>Parses an explicit protocol name (ServiceEntry/Gateway <c>protocol</c>, <c>appProtocol</c>); null if unknown.</summary>
    public static Protocol? Parse(string? name) => name?.ToUpperInvariant() switch
    {
        "HTTP" => Protocol.Http,
        "HTTP2" or "KUBERNETES.IO/H2C" => Protocol.Http2,
        "GRPC" or "GRPC-WEB" => Protocol.Grpc,
        "HTTPS" => Protocol.Https,
        "TLS" => Protocol.Tls,
        "TCP" or "MONGO" or "REDIS" or "MYSQL" => Protocol.Tcp,
        _ => null,
    };

    /// <summary>Istio's selection for a Kubernetes Service port: appProtocol, then the name prefix before '-'.</summary>
    public static Protocol FromServicePort(string? name, string? appProtocol)
    {
        if (Parse(appProtocol) is { } p)
        {
            return p;
        }
        if (string.IsNullOrEmpty(name))
        {
            return Protocol.Tcp;
        }
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        var prefix = dash < 0 ? name : name[..dash];
        return Parse(prefix) ?? Protocol.Tcp;
    }
}
