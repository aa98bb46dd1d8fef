using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A namespace's config as scopes need it: the services defined there (for visibility and inbound
/// ports), its Sidecars and Gateways, the VirtualServices bound to gateways, and its ServiceFences.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.NamespaceConfig")]
public sealed record NamespaceConfig(
    [property: Id(0)] string Namespace,
    [property: Id(1)] ImmutableArray<MeshService> Services,
    [property: Id(2)] ImmutableArray<Sidecar> Sidecars,
    [property: Id(3)] ImmutableArray<Gateway> Gateways,
    [property: Id(4)] ImmutableArray<VirtualService> GatewayVirtualServices,
    ImmutableArray<ServiceFence> ServiceFences = default)
{
    // Configs written before fences existed (and callers that name none) hold no fences, never a default array.
    [Id(5)]
    private readonly ImmutableArray<ServiceFence> _serviceFences = ServiceFences;

    public ImmutableArray<ServiceFence> ServiceFences
    {
        get => _serviceFences.IsDefault ? [] : _serviceFences;
        init => _serviceFences = value;
    }

    /// <summary>The Namespace is labelled <c>slime.io/serviceFenced: "true"</c>: each of its Services is fenced unless labelled <c>"false"</c>.</summary>
    [Id(6)]
    public bool Fenced { get; init; }

    public static NamespaceConfig Empty(string ns) => new(ns, [], [], [], [], []);

    /// <summary>The fences in force here: enabled ServiceFences and those implied by <c>slime.io/serviceFenced</c> labels (on a Service, or on the Namespace).</summary>
    public ImmutableArray<ServiceFence> FencesInForce() =>
        Model.Fences.FencePolicy.InForce(ServiceFences, Services.IsDefault ? [] : Services, Fenced);
}
