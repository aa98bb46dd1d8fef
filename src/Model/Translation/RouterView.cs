using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// The input of a router (ingress gateway) build: the Gateways selecting the router, the
/// VirtualServices bound to them, and the ports of every destination host those reference.
/// </summary>
public sealed record RouterView(
    ImmutableArray<Gateway> Gateways,
    ImmutableArray<VirtualService> VirtualServices,
    ImmutableSortedDictionary<string, ImmutableArray<MeshServicePort>> DestinationPorts,
    MeshSettings Settings);
