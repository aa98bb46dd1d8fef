namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// The narrow interface stream handlers depend on (go-control-plane's ConfigWatcher): it turns a
/// node into a watch over the node's resources. The production implementation is backed by grains;
/// tests drive handlers with a hand-written fake.
/// </summary>
public interface IConfigWatcher
{
    /// <summary>
    /// Opens a watch for a proxy. Throws <see cref="Grpc.Core.RpcException"/> with
    /// <c>Unavailable</c> while the control plane is not ready and <c>PermissionDenied</c>
    /// or <c>InvalidArgument</c> when the node may not connect.
    /// </summary>
    ValueTask<IProxyWatch> OpenAsync(ProxyNode node, CancellationToken cancellationToken);
}
