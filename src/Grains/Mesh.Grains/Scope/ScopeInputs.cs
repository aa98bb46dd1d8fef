using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Scope;

/// <summary>
/// Pure selection logic of scopes and workloads: which Sidecar applies to a workload, which
/// services a scope sees (exportTo, Sidecar egress), which ports a workload serves itself, and
/// which Gateways and VirtualServices bind a router.
/// </summary>
public static class ScopeInputs
{
    /// <summary>The Sidecar that applies: one in the workload's namespace selecting it, else the namespace default.</summary>
    public static Sidecar? SelectSidecar(NamespaceConfig own, ImmutableSortedDictionary<string, string> labels) =>
        own.Sidecars.Where(s => s.WorkloadSelector is { } sel && sel.Labels.Count > 0 && sel.Matches(labels))
            .OrderBy(s => s.Meta.Name, StringComparer.Ordinal).FirstOrDefault()
        ?? own.Sidecars.Where(s => s.WorkloadSelector is null || s.WorkloadSelector.Labels.Count == 0)
            .OrderBy(s => s.Meta.Name, StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The Sidecar named <paramref name="name"/> in <paramref name="own"/>, if it is still there.</summary>
    public static Sidecar? FindSidecar(NamespaceConfig own, string name) =>
        own.Sidecars.FirstOrDefault(s => string.Equals(s.Meta.Name, name, StringComparison.Ordinal));

    /// <summary>Whether a proxy of <paramref name="proxyNamespace"/> under <paramref name="sidecar"/> (null: none) sees <paramref name="svc"/>.</summary>
    public static bool Sees(MeshService svc, string proxyNamespace, Sidecar? sidecar)
    {
        if (!Visibility.IsExportedTo(svc.ExportTo, svc.Namespace, proxyNamespace))
        {
            return false;
        }
        return sidecar is null || sidecar.Egress.SelectMany(e => e.Hosts)
            .Any(h => Visibility.EgressHostMatches(h, svc.Hostname, svc.Namespace, proxyNamespace));
    }

    /// <summary>
    /// The namespaces whose services a Sidecar's egress can admit (<c>.</c> is the proxy's own), or
    /// null when any namespace's can be (no Sidecar, or a <c>*/</c> host): where to look for what a
    /// scope sees instead of every service of the mesh.
    /// </summary>
    public static HashSet<string>? EgressNamespaces(Sidecar? sidecar, string proxyNamespace)
    {
        if (sidecar is null)
        {
            return null;
        }
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in sidecar.Egress.SelectMany(e => e.Hosts))
        {
            var slash = h.IndexOf('/', StringComparison.Ordinal);
            var ns = slash < 0 ? null : h[..slash];
            if (ns == "*")
            {
                return null;
            }
            if (ns is not null and not "~")
            {
                namespaces.Add(ns == "." ? proxyNamespace : ns);
            }
        }
        return namespaces;
    }

    public static ImmutableArray<InboundPort> InboundPorts(NamespaceConfig own, ImmutableSortedDictionary<string, string> labels) =>
        [.. own.Services
            .Where(s => s.Selector.Count > 0 && s.Selector.Matches(labels))
            .SelectMany(s => s.Ports)
            .Select(p => new InboundPort(p.TargetPort ?? p.Port, p.Protocol))
            .DistinctBy(p => p.Port)
            .OrderBy(p => p.Port)];

    /// <summary>Whether a router with <paramref name="labels"/> in this namespace is the lazy egress: a lazy egress service of the namespace selects it.</summary>
    public static bool IsLazyEgress(NamespaceConfig own, ImmutableSortedDictionary<string, string> labels, MeshSettings settings) =>
        own.Services.Any(s => s.Selector.Count > 0 && settings.IsLazyEgressFor(s.Hostname, own.Namespace) && s.Selector.Matches(labels));

    public static ImmutableArray<Gateway> RouterGateways(IEnumerable<NamespaceConfig> configs, ImmutableSortedDictionary<string, string> labels) =>
        [.. configs.SelectMany(c => c.Gateways)
            .Where(g => g.Selector.Count > 0 && g.Selector.Matches(labels))
            .OrderBy(g => g.Meta.Namespace, StringComparer.Ordinal).ThenBy(g => g.Meta.Name, StringComparer.Ordinal)];

    public static ImmutableArray<VirtualService> RouterVirtualServices(IEnumerable<NamespaceConfig> configs, ImmutableArray<Gateway> gateways)
    {
        var names = gateways.Select(g => $"{g.Meta.Namespace}/{g.Meta.Name}").ToHashSet(StringComparer.Ordinal);
        return [.. configs.SelectMany(c => c.GatewayVirtualServices)
            .Where(vs => vs.Gateways.Any(gw => names.Contains(gw.Contains('/', StringComparison.Ordinal) ? gw : $"{vs.Meta.Namespace}/{gw}")))
            .OrderBy(vs => vs.Meta.Namespace, StringComparer.Ordinal).ThenBy(vs => vs.Meta.Name, StringComparer.Ordinal)];
    }
}
