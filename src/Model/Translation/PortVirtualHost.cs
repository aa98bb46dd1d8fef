namespace Mesh.Model.Translation;

/// <summary>
/// A service's serialized <c>VirtualHost</c> for one port, in two variants: for proxies in the
/// service's own namespace (domains include the short name) and for proxies elsewhere (they do not,
/// so two namespaces' <c>foo</c> never collide in one RouteConfiguration).
/// </summary>
public sealed record PortVirtualHost(
    int Port,
    Services.Protocol Protocol,
    string Name,
    string Version,
    ReadOnlyMemory<byte> SameNamespace,
    ReadOnlyMemory<byte> OtherNamespace);
