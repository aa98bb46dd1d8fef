using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Scope;

/// <summary>
/// Pure selection logic of a scope: which services a workload sees (exportTo, Sidecar egress),
/// which ports it serves itself, and which Gateways and VirtualServices bind a router.
/// </summary>
internal static class ScopeInputs
{
    /// <summary>The Sidecar that applies: one in the workload's namespace selecting it, else the namespace default.</summary>
    public static Sidecar? SelectSidecar(NamespaceConfig own, ScopeIdentity id) =>
        own.Sidecars.Where(s => s.WorkloadSelector is { } sel && sel.Labels.Count > 0 && sel.Matches(id.Labels))
            .OrderBy(s => s.Meta.Name, StringComparer.Ordinal).FirstOrDefault()
        ?? own.Sidecars.Where(s => s.WorkloadSelector is null || s.WorkloadSelector.Labels.Count == 0)
            .OrderBy(s => s.Meta.Name, StringComparer.Ordinal).FirstOrDefault();

    public static IEnumerable<MeshService> VisibleServices(IEnumerable<NamespaceConfig> configs, ScopeIdentity id, Sidecar? sidecar)
    {
        foreach (var svc in configs.SelectMany(c => c.Services))
        {
            if (!Visibility.IsExportedTo(svc.ExportTo, svc.Namespace, id.Namespace))
            {
                continue;
            }
            if (sidecar is not null && !sidecar.Egress.SelectMany(e => e.Hosts)
                    .Any(h => Visibility.EgressHostMatches(h, svc.Hostname, svc.Namespace, id.Namespace)))
            {
                continue;
            }
            yield return svc;
        }
    }

    public static ImmutableArray<InboundPort> InboundPorts(NamespaceConfig own, ScopeIdentity id) =>
        [.. own.Services
            .Where(s => s.Selector.Count > 0 && s.Selector.Matches(id.Labels))
            .SelectMany(s => s.Ports)
            .Select(p => new InboundPort(p.TargetPort ?? p.Port, p.Protocol))
            .DistinctBy(p => p.Port)
            .OrderBy(p => p.Port)];

    public static ImmutableArray<Gateway> RouterGateways(IEnumerable<NamespaceConfig> configs, ScopeIdentity id) =>
        [.. configs.SelectMany(c => c.Gateways)
            .Where(g => g.Selector.Count > 0 && g.Selector.Matches(id.Labels))
            .OrderBy(g => g.Meta.Namespace, StringComparer.Ordinal).ThenBy(g => g.Meta.Name, StringComparer.Ordinal)];

    public static ImmutableArray<VirtualService> RouterVirtualServices(IEnumerable<NamespaceConfig> configs, ImmutableArray<Gateway> gateways)
    {
        var names = gateways.Select(g => $"{g.Meta.Namespace}/{g.Meta.Name}").ToHashSet(StringComparer.Ordinal);
        return [.. configs.SelectMany(c => c.GatewayVirtualServices)
            .Where(vs => vs.Gateways.Any(gw => names.Contains(gw.Contains('/', StringComparison.Ordinal) ? gw : $"{vs.Meta.Namespace}/{gw}")))
            .OrderBy(vs => vs.Meta.Namespace, StringComparer.Ordinal).ThenBy(vs => vs.Meta.Name, StringComparer.Ordinal)];
    }

    public static IEnumerable<string> DestinationHosts(IEnumerable<VirtualService> vss, string domainSuffix) =>
        vss.SelectMany(vs => vs.Http.SelectMany(h => h.Route).Concat(vs.Tcp.SelectMany(t => t.Route))
                .Select(d => Visibility.ResolveHost(d.Destination.Host, vs.Meta.Namespace, domainSuffix)))
            .Distinct(StringComparer.Ordinal);
}
