using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A namespace's config as scopes need it: the services defined there (for visibility and inbound
/// ports), its Sidecars and Gateways, and the VirtualServices bound to gateways.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.NamespaceConfig")]
public sealed record NamespaceConfig(
    [property: Id(0)] string Namespace,
    [property: Id(1)] ImmutableArray<MeshService> Services,
    [property: Id(2)] ImmutableArray<Sidecar> Sidecars,
    [property: Id(3)] ImmutableArray<Gateway> Gateways,
    [property: Id(4)] ImmutableArray<VirtualService> GatewayVirtualServices)
{
    public static NamespaceConfig Empty(string ns) => new(ns, [], [], [], []);
}
