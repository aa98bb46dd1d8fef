namespace Mesh.Model.Services;

/// <summary>
/// Port protocol, chosen as Istio does: <c>appProtocol</c> first, then the port-name prefix
/// (<c>http</c>, <c>http2</c>, <c>grpc</c>, <c>tcp</c>, ...). Unknown protocols are served as TCP.
/// </summary>
public enum Protocol
{
    Tcp,
    Http,
    Http2,
    Grpc,
    Https,
    Tls,
}
