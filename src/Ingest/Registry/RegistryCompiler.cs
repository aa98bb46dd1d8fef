using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>
/// Pure: the full set of valid source objects → the <see cref="DesiredState"/> of every grain.
/// Kubernetes Services and ServiceEntry hosts become services (the first definition of a host
/// wins; later ones are reported as conflicts), endpoints come from EndpointSlices joined to Pods
/// (or, with no slices, from the Pods a selector picks), and each host gets the DestinationRule and
/// mesh VirtualServices that apply to it.
/// </summary>
public static class RegistryCompiler
{
    public static DesiredState Compile(IReadOnlyCollection<ConfigObject> objects, MeshSettings settings)
    {
        var pods = objects.OfType<Pod>().ToDictionary(p => (p.Meta.Namespace, p.Meta.Name));
        var podsByNs = objects.OfType<Pod>().ToLookup(p => p.Meta.Namespace, StringComparer.Ordinal);
        var slices = objects.OfType<EndpointSlice>().ToLookup(s => (s.Meta.Namespace, s.ServiceName));
        var workloadEntries = objects.OfType<WorkloadEntry>().ToLookup(w => w.Meta.Namespace, StringComparer.Ordinal);
        var conflicts = ImmutableArray.CreateBuilder<ConfigError>();

        var defined = new Dictionary<string, (MeshService Def, ImmutableArray<ServiceEndpoint> Endpoints, ConfigKey Source)>(StringComparer.Ordinal);
        void Define(MeshService def, ImmutableArray<ServiceEndpoint> endpoints, ConfigObject source)
        {
            if (defined.TryGetValue(def.Hostname, out var first))
            {
                conflicts.Add(new ConfigError("", source.Kind.ToString(), source.Meta.Namespace, source.Meta.Name, "hosts",
                    $"host {def.Hostname} is already defined by {first.Source}; this definition is ignored"));
                return;
            }
            defined[def.Hostname] = (def, endpoints, source.Key);
        }

        foreach (var svc in Ordered(objects.OfType<KubeService>()))
        {
            var host = $"{svc.Meta.Name}.{svc.Meta.Namespace}.svc.{settings.DomainSuffix}";
            var def = new MeshService(host, svc.Meta.Namespace,
                [.. svc.Ports.OrderBy(p => p.Port).Select(p => new MeshServicePort(p.Name ?? "", p.Port,
                    ProtocolExtensions.FromServicePort(p.Name, p.AppProtocol), int.TryParse(p.TargetPort, out var t) ? t : null))],
                svc.ClusterIP is { Length: > 0 } ip && ip != "None" ? [ip] : [],
                ServiceOrigin.Kubernetes, Resolution.Static, [.. Visibility.ExportToAnnotation(svc.Meta)], svc.Selector);
            var mySlices = slices[(svc.Meta.Namespace, svc.Meta.Name)].ToList();
            var endpoints = mySlices.Count > 0 || svc.Selector.Count == 0
                ? EndpointResolver.FromSlices(svc, mySlices, pods)
                : EndpointResolver.FromSelectedPods(svc, podsByNs[svc.Meta.Namespace]);
            Define(def, endpoints, svc);
        }

        foreach (var se in Ordered(objects.OfType<ServiceEntry>()))
        {
            var ports = se.Ports.OrderBy(p => p.Number).ToList();
            ImmutableArray<ServiceEndpoint> endpoints;
            if (se.WorkloadSelector is { } sel)
            {
                endpoints = [.. podsByNs[se.Meta.Namespace].Where(p => !string.IsNullOrEmpty(p.PodIP) && sel.Matches(p.Meta.Labels))
                        .Select(p => EndpointResolver.FromPod(p, ports))
                    .Concat(workloadEntries[se.Meta.Namespace].Where(w => sel.Matches(w.Spec.Labels))
                        .Select(w => EndpointResolver.FromWorkload(w.Spec, ports, w.Meta.Name)))
                    .DistinctBy(e => e.Address)
                    .OrderBy(e => e.Address, StringComparer.Ordinal)];
            }
            else
            {
                endpoints = [.. se.Endpoints.Select(e => EndpointResolver.FromWorkload(e, ports, null))
                    .DistinctBy(e => (e.Address, string.Join(',', e.Ports.Values)))];
            }
            var resolution = se.Resolution.ToUpperInvariant() switch
            {
                "DNS" or "DNS_ROUND_ROBIN" => Resolution.Dns,
                "NONE" => Resolution.None,
                _ => Resolution.Static,
            };
            foreach (var h in se.Hosts)
            {
                var def = new MeshService(h.ToLowerInvariant(), se.Meta.Namespace,
                    [.. ports.Select(p => new MeshServicePort(p.Name, p.Number, ProtocolExtensions.Parse(p.Protocol) ?? Protocol.Tcp, p.TargetPort))],
                    [.. se.Addresses], ServiceOrigin.ServiceEntry, resolution, [.. se.ExportTo],
                    se.WorkloadSelector?.Labels ?? ImmutableSortedDictionary<string, string>.Empty);
                Define(def, endpoints, se);
            }
        }

        var drs = Ordered(objects.OfType<DestinationRule>()).ToList();
        var meshVs = Ordered(objects.OfType<VirtualService>()).Where(v => v.AppliesToMesh).ToList();
        var services = ImmutableSortedDictionary.CreateBuilder<string, DesiredService>(StringComparer.Ordinal);
        foreach (var (host, (def, endpoints, _)) in defined)
        {
            var matching = drs.Where(d => Visibility.ResolveHost(d.Host, d.Meta.Namespace, settings.DomainSuffix) == host).ToList();
            var dr = matching.FirstOrDefault(d => d.Meta.Namespace == def.Namespace) ?? matching.FirstOrDefault();
            var vss = meshVs.Where(v => v.Hosts.Any(h => Visibility.ResolveHost(h, v.Meta.Namespace, settings.DomainSuffix) == host)).ToImmutableArray();
            services[host] = new DesiredService(def, endpoints, new ServiceRouting(dr, vss));
        }

        var namespaceNames = objects.Where(o => o is not NamespaceObject).Select(o => o.Meta.Namespace).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var namespaces = ImmutableSortedDictionary.CreateBuilder<string, NamespaceConfig>(StringComparer.Ordinal);
        foreach (var ns in namespaceNames)
        {
            namespaces[ns] = new NamespaceConfig(ns,
                [.. services.Values.Select(s => s.Definition).Where(d => d.Namespace == ns)],
                [.. Ordered(objects.OfType<Sidecar>()).Where(s => s.Meta.Namespace == ns)],
                [.. Ordered(objects.OfType<Gateway>()).Where(g => g.Meta.Namespace == ns)],
                [.. Ordered(objects.OfType<VirtualService>()).Where(v => v.Meta.Namespace == ns
                    && !v.Gateways.IsDefaultOrEmpty && v.Gateways.Any(g => g != VirtualService.MeshGateway))]);
        }
        return new DesiredState(services.ToImmutable(), namespaces.ToImmutable(), conflicts.ToImmutable());
    }

    private static IEnumerable<T> Ordered<T>(IEnumerable<T> objects) where T : ConfigObject =>
        objects.OrderBy(o => o.Meta.Namespace, StringComparer.Ordinal).ThenBy(o => o.Meta.Name, StringComparer.Ordinal);
}
