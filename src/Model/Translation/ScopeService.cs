using System.Collections.Immutable;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>What a scope needs of one visible service: ports, VIPs, cluster names, per-port virtual hosts and where its routes lead.</summary>
public sealed record ScopeService(
    string Hostname,
    string Namespace,
    ImmutableArray<string> Addresses,
    ImmutableArray<MeshServicePort> Ports,
    ImmutableArray<string> ClusterNames,
    ImmutableArray<PortVirtualHost> VirtualHosts,
    ImmutableArray<string> RouteDestinations = default,
    ImmutableArray<TcpTarget> TcpTargets = default,
    ImmutableArray<SniRoute> SniRoutes = default)
{
    /// <summary>The view of one service that scopes use, built from the service's translation input.</summary>
    public static ScopeService From(ServiceTranslationInput input) => new(
        input.Service.Hostname, input.Service.Namespace, input.Service.Addresses, input.Service.Ports,
        ClusterBuilder.ClusterNames(input), RouteBuilder.BuildVirtualHosts(input), DestinationsOf(input), TcpRouteTranslator.Targets(input), TcpRouteTranslator.SniRoutes(input));

    /// <summary>
    /// The other hosts its VirtualServices send traffic to (FQDNs, ordinal order): a fenced scope that
    /// admits this service admits these too, or its routes would point at clusters it does not hold.
    /// </summary>
    public static ImmutableArray<string> DestinationsOf(ServiceTranslationInput input) =>
        [.. Visibility.DestinationHosts(input.VirtualServices, input.Settings.DomainSuffix)
            .Where(h => !string.Equals(h, input.Service.Hostname, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
}
