using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Ingest.Registry;

/// <summary>
/// Turns EndpointSlices (joined to Pods), selected Pods, WorkloadEntries and inline ServiceEntry
/// endpoints into <see cref="ServiceEndpoint"/>s. An address that appears more than once is kept
/// once (gRPC rejects duplicate endpoints, G-06); a workload with no IP address is none (<see cref="WhyNotAnEndpoint"/>).
/// </summary>
internal static class EndpointResolver
{
    public static ImmutableArray<ServiceEndpoint> FromSlices(KubeService svc, IEnumerable<EndpointSlice> slices, Func<string, string, Pod?> podOf)
    {
        var result = new Dictionary<string, ServiceEndpoint>(StringComparer.Ordinal);
        foreach (var slice in slices.OrderBy(s => s.Meta.Name, StringComparer.Ordinal))
        {
            if (slice.AddressType is not ("IPv4" or "IPv6"))
            {
                continue;
            }
            foreach (var ep in slice.Endpoints)
            {
                if (ep.Addresses.IsDefaultOrEmpty)
                {
                    continue;
                }
                var address = ep.Addresses[0];
                var ports = ImmutableSortedDictionary.CreateBuilder<int, int>();
                foreach (var sp in svc.Ports)
                {
                    var match = slice.Ports.FirstOrDefault(p => (p.Name ?? "") == (sp.Name ?? ""));
                    if (match?.Port is { } port)
                    {
                        ports[sp.Port] = port;
                    }
                }
                var pod = ep.TargetRef is { Kind: "Pod" } r ? podOf(r.Namespace.Length > 0 ? r.Namespace : svc.Meta.Namespace, r.Name) : null;
                var health = ep.Ready != false ? EndpointHealth.Healthy
                    : ep.Terminating == true && ep.Serving == true ? EndpointHealth.Draining
                    : EndpointHealth.Unhealthy;
                var candidate = new ServiceEndpoint(address, ports.ToImmutable(),
                    pod?.Meta.Labels ?? ImmutableSortedDictionary<string, string>.Empty,
                    pod is null ? new Locality("", ep.Zone ?? "", "") : LocalityOf(pod, ep.Zone),
                    1, health, pod?.ServiceAccount, pod is null ? null : WorkloadName(pod));
                // Keep one entry per address; prefer a healthy one (a pod can linger terminating in another slice).
                if (!result.TryGetValue(address, out var existing) || (existing.Health != EndpointHealth.Healthy && health == EndpointHealth.Healthy))
                {
                    result[address] = candidate;
                }
            }
        }
        return [.. result.Values.OrderBy(e => e.Address, StringComparer.Ordinal)];
    }

    public static ImmutableArray<ServiceEndpoint> FromSelectedPods(KubeService svc, IEnumerable<Pod> podsInNamespace) =>
        [.. podsInNamespace
            .Where(p => !string.IsNullOrEmpty(p.PodIP) && p.Phase is "Running" or "" && svc.Selector.Matches(p.Meta.Labels))
            .OrderBy(p => p.PodIP, StringComparer.Ordinal)
            .DistinctBy(p => p.PodIP)
            .Select(p => new ServiceEndpoint(p.PodIP!,
                svc.Ports.ToImmutableSortedDictionary(sp => sp.Port, sp => int.TryParse(sp.TargetPort, out var t) ? t : sp.Port),
                p.Meta.Labels, LocalityOf(p),
                1, EndpointHealth.Healthy, p.ServiceAccount, WorkloadName(p)))];

    /// <summary>
    /// Why a workload (a WorkloadEntry or an inline ServiceEntry endpoint) cannot be an endpoint of
    /// <paramref name="endpointOf"/>, or null when it can. Istio accepts both cases below but Mesh
    /// cannot serve them: an empty address would be NACKed by gRPC clients (G-06) and a unix socket
    /// is no IP socket address.
    /// </summary>
    public static string? WhyNotAnEndpoint(WorkloadEntrySpec spec, string endpointOf)
    {
        if (spec.Address.Length == 0)
        {
            var onNetwork = string.IsNullOrEmpty(spec.Network) ? "" : $" on network '{spec.Network}'";
            return $"is empty, so this workload{onNetwork} is not an endpoint of {endpointOf}: "
                + "Istio reaches such a workload through its network's gateway, which Mesh does not support";
        }
        return spec.IsUnixSocket
            ? $"'{spec.Address}' is a unix domain socket, so it is not an endpoint of {endpointOf}: Istio gives Envoy a pipe address for it, which Mesh does not serve yet"
            : null;
    }

    public static ServiceEndpoint FromWorkload(WorkloadEntrySpec spec, IReadOnlyList<ServiceEntryPort> ports, string? workloadName) =>
        new(spec.Address,
            ports.ToImmutableSortedDictionary(p => p.Number, p => spec.Ports.TryGetValue(p.Name, out var ep) ? ep : p.TargetPort ?? p.Number),
            spec.Labels, Locality.Parse(spec.Locality), spec.Weight is > 0 ? spec.Weight.Value : 1, EndpointHealth.Healthy,
            spec.ServiceAccount, workloadName);

    public static ServiceEndpoint FromPod(Pod pod, IReadOnlyList<ServiceEntryPort> ports) =>
        new(pod.PodIP!, ports.ToImmutableSortedDictionary(p => p.Number, p => p.TargetPort ?? p.Number), pod.Meta.Labels,
            LocalityOf(pod),
            1, EndpointHealth.Healthy, pod.ServiceAccount, WorkloadName(pod));

    /// <summary>
    /// A Pod's locality, as Istio's kube controller reads it: the Pod's <c>istio-locality</c> label
    /// (<c>region.zone.subzone</c>) when set; else, field by field, its Node's topology labels, then
    /// (for the zone) the EndpointSlice endpoint's <paramref name="sliceZone"/>, then the Pod's own
    /// <c>topology.kubernetes.io/region|zone</c> labels, which manifest meshes (no Nodes) use.
    /// </summary>
    public static Locality LocalityOf(Pod pod, string? sliceZone = null)
    {
        if (pod.Meta.Labels.GetValueOrDefault(Pod.LocalityLabel) is { Length: > 0 } label)
        {
            // '/' is not allowed in a label value, so Istio's label separates with dots.
            return Locality.Parse(label.Replace('.', '/'));
        }
        var node = pod.NodeLocality ?? Locality.None;
        return new Locality(
            First(node.Region, Label(pod, NodeObject.RegionLabel)),
            First(node.Zone, First(sliceZone, Label(pod, NodeObject.ZoneLabel))),
            node.SubZone);
    }

    /// <summary>Istio's workload name: the <c>app</c> label, else the pod name less its two generated suffixes.</summary>
    public static string WorkloadName(Pod pod)
    {
        if (pod.Meta.Labels.TryGetValue("app", out var app))
        {
            return pod.Meta.Labels.TryGetValue("version", out var v) ? $"{app}-{v}" : app;
        }
        var parts = pod.Meta.Name.Split('-');
        return parts.Length > 2 ? string.Join('-', parts[..^2]) : pod.Meta.Name;
    }

    private static string Label(Pod pod, string key) => pod.Meta.Labels.GetValueOrDefault(key) ?? "";

    private static string First(string? preferred, string fallback) => string.IsNullOrEmpty(preferred) ? fallback : preferred;
}
