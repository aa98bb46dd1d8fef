using System.Collections.Immutable;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>What a scope needs of one visible service: ports, VIPs, cluster names and per-port virtual hosts.</summary>
public sealed record ScopeService(
    string Hostname,
    string Namespace,
    ImmutableArray<string> Addresses,
    ImmutableArray<MeshServicePort> Ports,
    ImmutableArray<string> ClusterNames,
    ImmutableArray<PortVirtualHost> VirtualHosts)
{
    /// <summary>The view of one service that scopes use, built from the service's translation input.</summary>
    public static ScopeService From(ServiceTranslationInput input) => new(
        input.Service.Hostname, input.Service.Namespace, input.Service.Addresses, input.Service.Ports,
        ClusterBuilder.ClusterNames(input), RouteBuilder.BuildVirtualHosts(input));
}
