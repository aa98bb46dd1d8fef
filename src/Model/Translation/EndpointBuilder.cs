using System.Collections.Immutable;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// Builds EDS resources: one ClusterLoadAssignment per outbound cluster of a service, valid for gRPC
/// (G-06): every locality weighted, one priority, no endpoint address twice, none empty.
/// </summary>
public static class EndpointBuilder
{
    /// <summary>Load assignments named like <see cref="ClusterBuilder.BuildOutbound"/>'s clusters, in the same order.</summary>
    public static ImmutableArray<XdsResource> Build(ServiceTranslationInput input)
    {
        if (input.Service.Resolution.IsDns())
        {
            return []; // a DNS cluster carries its endpoints (ClusterBuilder)
        }
        var endpoints = Sorted(input);
        return [.. OutboundClusterSpec.For(input).Select(spec => Build(spec, endpoints))];
    }

    /// <summary>The endpoints in a total order, so the kept duplicate and every repeated field are stable.</summary>
    internal static List<ServiceEndpoint> Sorted(ServiceTranslationInput input) =>
        input.Endpoints.IsDefault ? [] : input.Endpoints.Order(EndpointOrder.Instance).ToList();

    private static XdsResource Build(OutboundClusterSpec spec, List<ServiceEndpoint> sorted)
    {
        var assignment = Assignment(spec, sorted);
        var resource = XdsResource.From(TypeUrls.Endpoint, spec.Name, assignment);
        // Locality-aware balancing depends on the proxy: the plan travels with the resource and each
        // gateway applies it per proxy locality.
        return LocalityLoadBalancing.Plan(spec.Policy) is { } plan ? LocalityLoadBalancing.WithPlan(resource, plan) : resource;
    }

    /// <summary>The load assignment of one cluster: the endpoints its port and subset select, by locality.</summary>
    internal static ClusterLoadAssignment Assignment(OutboundClusterSpec spec, List<ServiceEndpoint> sorted)
    {
        var seen = new HashSet<(string, int)>();
        var byLocality = new SortedDictionary<Services.Locality, LocalityLbEndpoints>(LocalityOrder.Instance);
        foreach (var endpoint in sorted)
        {
            // G-06: an endpoint with no address is invalid (a workload on another network has none;
            // the registry leaves those out and reports them, this keeps any other caller safe).
            if (endpoint.Address.Length == 0 || !endpoint.Ports.TryGetValue(spec.Port.Port, out var targetPort) || !spec.Labels.Matches(endpoint.Labels))
            {
                continue;
            }
            // G-06: gRPC rejects a CLA naming one address twice; keep the first in sorted order.
            if (!seen.Add((endpoint.Address, targetPort)))
            {
                continue;
            }
            if (!byLocality.TryGetValue(endpoint.Locality, out var group))
            {
                group = new LocalityLbEndpoints
                {
                    Locality = new Envoy.Config.Core.V3.Locality
                    {
                        Region = endpoint.Locality.Region,
                        Zone = endpoint.Locality.Zone,
                        SubZone = endpoint.Locality.SubZone,
                    },
                    LoadBalancingWeight = 0,
                };
                byLocality.Add(endpoint.Locality, group);
            }
            var weight = (uint)Math.Max(1, endpoint.Weight);
            group.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Endpoint { Address = EnvoyFilters.SocketAddress(endpoint.Address, targetPort) },
                HealthStatus = endpoint.Health switch
                {
                    EndpointHealth.Unhealthy => HealthStatus.Unhealthy,
                    EndpointHealth.Draining => HealthStatus.Draining,
                    _ => HealthStatus.Healthy,
                },
                LoadBalancingWeight = weight,
            });
            // G-06: gRPC ignores localities without a weight; the sum keeps Envoy's per-endpoint balance.
            group.LoadBalancingWeight = (uint)Math.Min(uint.MaxValue, (ulong)group.LoadBalancingWeight!.Value + weight);
        }
        return new ClusterLoadAssignment { ClusterName = spec.Name, Endpoints = { byLocality.Values } };
    }

    /// <summary>Locality order: region, zone, sub-zone, ordinal.</summary>
    private sealed class LocalityOrder : IComparer<Services.Locality>
    {
        public static readonly LocalityOrder Instance = new();

        public int Compare(Services.Locality? x, Services.Locality? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }
            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }
            var c = string.CompareOrdinal(x.Region, y.Region);
            c = c != 0 ? c : string.CompareOrdinal(x.Zone, y.Zone);
            return c != 0 ? c : string.CompareOrdinal(x.SubZone, y.SubZone);
        }
    }

    /// <summary>A total order over endpoints, so shuffled input always yields the same output.</summary>
    private sealed class EndpointOrder : IComparer<ServiceEndpoint>
    {
        public static readonly EndpointOrder Instance = new();

        public int Compare(ServiceEndpoint? x, ServiceEndpoint? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }
            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }
            var c = string.CompareOrdinal(x.Address, y.Address);
            c = c != 0 ? c : LocalityOrder.Instance.Compare(x.Locality, y.Locality);
            c = c != 0 ? c : x.Health.CompareTo(y.Health);
            c = c != 0 ? c : x.Weight.CompareTo(y.Weight);
            c = c != 0 ? c : string.CompareOrdinal(x.WorkloadName, y.WorkloadName);
            c = c != 0 ? c : string.CompareOrdinal(x.ServiceAccount, y.ServiceAccount);
            c = c != 0 ? c : CompareSequence(x.Ports.Select(p => (p.Key, p.Value)), y.Ports.Select(p => (p.Key, p.Value)), Comparer<(int, int)>.Default);
            return c != 0 ? c : CompareSequence(x.Labels.Select(l => l.Key + "=" + l.Value), y.Labels.Select(l => l.Key + "=" + l.Value), StringComparer.Ordinal);
        }

        private static int CompareSequence<T>(IEnumerable<T> x, IEnumerable<T> y, IComparer<T> comparer)
        {
            using var a = x.GetEnumerator();
            using var b = y.GetEnumerator();
            while (true)
            {
                var hasA = a.MoveNext();
                var hasB = b.MoveNext();
                if (!hasA || !hasB)
                {
                    return hasA.CompareTo(hasB);
                }
                var c = comparer.Compare(a.Current, b.Current);
                if (c != 0)
                {
                    return c;
                }
            }
        }
    }
}
