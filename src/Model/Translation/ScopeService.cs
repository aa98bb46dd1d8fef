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
    ImmutableArray<PortVirtualHost> VirtualHosts);
