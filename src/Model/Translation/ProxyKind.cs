namespace Mesh.Model.Translation;

/// <summary>What a connected node is: an Envoy sidecar, an Envoy router (ingress gateway) or a proxyless gRPC client.</summary>
public enum ProxyKind
{
    Sidecar,
    Router,
    Proxyless,
}
