using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>
/// The source objects, indexed so that one changed object recompiles only what it affects: a
/// changed EndpointSlice its service, a Pod the services whose slices (or selectors) pick it, a
/// DestinationRule its host, a Sidecar its namespace. <see cref="Apply"/> records a change and
/// returns the hosts and namespaces to recompile; <see cref="CompileHost"/> and
/// <see cref="CompileNamespace"/> compute them. Kubernetes Services and ServiceEntry hosts become
/// services (a Service before a ServiceEntry, then namespace/name order: the first definition of a
/// host wins, later ones are conflicts); endpoints come from EndpointSlices joined to Pods (or,
/// with no slices, from the Pods a selector picks). Not thread-safe.
/// </summary>
public sealed class RegistryIndex(MeshSettings settings)
{
    private readonly Dictionary<ConfigKey, ConfigObject> _objects = [];
    private readonly Dictionary<string, Dictionary<ConfigKey, ConfigObject>> _byNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ConfigKey>> _definers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Service), Dictionary<string, EndpointSlice>> _slices = [];
    private readonly Dictionary<(string Ns, string Pod), Dictionary<string, int>> _podHosts = [];
    private readonly Dictionary<string, SortedSet<ConfigKey>> _drs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ConfigKey>> _meshVirtualServices = new(StringComparer.Ordinal);

    // The wildcard hosts (*.example.com) of mesh VirtualServices: few, scanned for a host no VirtualService names.
    private readonly HashSet<string> _wildcardVirtualServiceHosts = new(StringComparer.Ordinal);

    private static readonly IComparer<ConfigKey> DefinitionOrder = Comparer<ConfigKey>.Create((a, b) =>
    {
        var c = Rank(a.Kind).CompareTo(Rank(b.Kind));
        if (c == 0)
        {
            c = string.CompareOrdinal(a.Namespace, b.Namespace);
        }
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        static int Rank(ConfigKind k) => k == ConfigKind.Service ? 0 : 1;
    });

    /// <summary>Every object held.</summary>
    public int Count => _objects.Count;

    /// <summary>Every host some object defines (compiled or in conflict).</summary>
    public IEnumerable<string> Hosts => _definers.Keys;

    /// <summary>Namespaces holding at least one object other than a Namespace.</summary>
    public IEnumerable<string> Namespaces => _byNamespace.Where(n => n.Key.Length > 0 && n.Value.Count > 0).Select(n => n.Key);

    public ConfigObject? Get(ConfigKey key) => _objects.GetValueOrDefault(key);

    /// <summary>The keys of every object held.</summary>
    public IEnumerable<ConfigKey> Keys => _objects.Keys;

    /// <summary>The objects of one namespace (for a source that diffs a namespace at a time).</summary>
    public IReadOnlyCollection<ConfigObject> InNamespace(string ns) =>
        _byNamespace.TryGetValue(ns, out var m) ? m.Values : [];

    /// <summary>Puts <paramref name="now"/> in place of the object with its key (null removes <paramref name="key"/>); adds what to recompile to <paramref name="dirty"/>.</summary>
    public void Apply(ConfigKey key, ConfigObject? now, DirtySet dirty)
    {
        ArgumentNullException.ThrowIfNull(dirty);
        var old = _objects.GetValueOrDefault(key);
        if (old is not null)
        {
            Affected(old, dirty);
            Unindex(old);
        }
        if (now is not null)
        {
            Index(now);
            Affected(now, dirty);
        }
        if (key.Kind == ConfigKind.RolloutPolicy)
        {
            // Policies govern the next change of what they select: nothing is compiled again.
            _policies = now is RolloutPolicy policy ? _policies.SetItem(key, policy) : _policies.Remove(key);
        }
    }

    private ImmutableDictionary<ConfigKey, RolloutPolicy> _policies = ImmutableDictionary<ConfigKey, RolloutPolicy>.Empty;

    /// <summary>The RolloutPolicies held (every namespace's and the mesh-wide ones).</summary>
    public IEnumerable<RolloutPolicy> Policies => _policies.Values;

    /// <summary>The policy that governs a change of <paramref name="routing"/>: that of its DestinationRule, else of its first governed VirtualService; null when none does.</summary>
    public RolloutPolicy? GoverningPolicy(ServiceRouting routing)
    {
        ArgumentNullException.ThrowIfNull(routing);
        return _policies.IsEmpty ? null : RolloutGovernance.PolicyForAny(routing.Objects(), [.. _policies.Values]);
    }

    /// <summary>
    /// The desired state of one host, or null when nothing defines it. <paramref name="diagnostics"/>
    /// gets what the operator should know: the definitions that lost, and the workloads left out of
    /// its endpoints (no address, or a unix socket).
    /// </summary>
    public DesiredService? CompileHost(string host, List<ConfigError> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (!_definers.TryGetValue(host, out var definers) || definers.Count == 0)
        {
            return null;
        }
        var winner = _objects[definers.Min];
        foreach (var loser in definers.Skip(1))
        {
            diagnostics.Add(new ConfigError("", loser.Kind.ToString(), loser.Namespace, loser.Name, "hosts",
                $"host {host} is already defined by {definers.Min}; this definition is ignored"));
        }
        var (def, endpoints) = winner switch
        {
            KubeService svc => Define(svc),
            ServiceEntry se => Define(se, host, diagnostics),
            _ => throw new InvalidOperationException($"{winner.Key} cannot define a host"),
        };

        var drs = _drs.TryGetValue(host, out var d) ? d.Select(k => (DestinationRule)_objects[k]).ToList() : [];
        var dr = drs.FirstOrDefault(x => x.Meta.Namespace == def.Namespace) ?? drs.FirstOrDefault();
        var vss = VirtualServicesOf(host).Select(k => Delegated((VirtualService)_objects[k], diagnostics)).ToImmutableArray();
        var routing = new ServiceRouting(dr, vss);
        return new DesiredService(def, endpoints, routing, GoverningPolicy(routing));
    }

    /// <summary>
    /// The mesh VirtualServices that route <paramref name="host"/>: those naming it, else (as Istio,
    /// where a more specific host wins) those whose wildcard host covers it (<c>*.example.com</c>).
    /// </summary>
    private SortedSet<ConfigKey> VirtualServicesOf(string host)
    {
        if (_meshVirtualServices.TryGetValue(host, out var exact) && exact.Count > 0)
        {
            return exact;
        }
        var covering = new SortedSet<ConfigKey>(NamespaceNameOrder);
        foreach (var wildcard in _wildcardVirtualServiceHosts.Where(w => Visibility.IsSubsetOf(host, w)))
        {
            covering.UnionWith(_meshVirtualServices.TryGetValue(wildcard, out var keys) ? keys : []);
        }
        return covering;
    }

    /// <summary>A root VirtualService with its delegates' routes merged in (Istio's delegation); what cannot be merged is reported.</summary>
    private VirtualService Delegated(VirtualService vs, List<ConfigError>? diagnostics)
    {
        var problems = new List<string>();
        var merged = VirtualServiceDelegation.Merge(vs, (ns, name) => _objects.GetValueOrDefault(new ConfigKey(ConfigKind.VirtualService, ns, name)) as VirtualService, settings.DomainSuffix, problems);
        foreach (var problem in problems)
        {
            diagnostics?.Add(new ConfigError("", vs.Kind.ToString(), vs.Meta.Namespace, vs.Meta.Name, "spec.http[].delegate", problem));
        }
        return merged;
    }

    /// <summary>One namespace's config, given the current definitions of the hosts defined in it, or null when the namespace holds nothing.</summary>
    public NamespaceConfig? CompileNamespace(string ns, IEnumerable<MeshService> definitionsInNamespace)
    {
        if (!_byNamespace.TryGetValue(ns, out var objects) || objects.Count == 0 || ns.Length == 0)
        {
            return null;
        }
        var ordered = objects.Values.OrderBy(o => o.Meta.Name, StringComparer.Ordinal).ToList();
        return new NamespaceConfig(ns,
            [.. definitionsInNamespace.OrderBy(s => s.Hostname, StringComparer.Ordinal)],
            [.. ordered.OfType<Sidecar>()],
            [.. ordered.OfType<Gateway>()],
            [.. ordered.OfType<VirtualService>().Where(vs => !vs.Gateways.IsDefaultOrEmpty && vs.Gateways.Any(g => g != VirtualService.MeshGateway)).Select(vs => Delegated(vs, null))],
            [.. ordered.OfType<ServiceFence>()])
        {
            Fenced = _byNamespace.TryGetValue("", out var clusterScoped)
                && clusterScoped.Values.OfType<NamespaceObject>().FirstOrDefault(n => n.Meta.Name == ns) is { } namespaceObject
                && namespaceObject.Meta.Labels.TryGetValue(ServiceFence.FencedLabel, out var fenced) && fenced == "true",
        };
    }

    private (MeshService, ImmutableArray<ServiceEndpoint>) Define(KubeService svc)
    {
        var def = new MeshService(HostOf(svc), svc.Meta.Namespace,
            [.. svc.Ports.OrderBy(p => p.Port).Select(p => new MeshServicePort(p.Name ?? "", p.Port,
                ProtocolExtensions.FromServicePort(p.Name, p.AppProtocol), int.TryParse(p.TargetPort, out var t) ? t : null))],
            svc.ClusterIP is { Length: > 0 } ip && ip != "None" ? [ip] : [],
            ServiceOrigin.Kubernetes, Resolution.Static, [.. Visibility.ExportToAnnotation(svc.Meta)], svc.Selector,
            svc.Meta.Labels.Count > 0 ? svc.Meta.Labels : null);
        var slices = _slices.TryGetValue((svc.Meta.Namespace, svc.Meta.Name), out var s) ? s.Values.ToList() : [];
        var endpoints = slices.Count > 0 || svc.Selector.Count == 0
            ? EndpointResolver.FromSlices(svc, slices, PodOf)
            : EndpointResolver.FromSelectedPods(svc, InNamespace(svc.Meta.Namespace).OfType<Pod>());
        return (def, endpoints);
    }

    private (MeshService, ImmutableArray<ServiceEndpoint>) Define(ServiceEntry se, string host, List<ConfigError> diagnostics)
    {
        var ports = se.Ports.OrderBy(p => p.Number).ToList();
        ImmutableArray<ServiceEndpoint> endpoints;
        if (se.WorkloadSelector is { } sel)
        {
            var inNs = InNamespace(se.Meta.Namespace);
            var workloads = new List<ServiceEndpoint>();
            foreach (var we in inNs.OfType<WorkloadEntry>().Where(w => sel.Matches(w.Spec.Labels)).OrderBy(w => w.Meta.Name, StringComparer.Ordinal))
            {
                if (Servable(we, we.Spec, "spec", $"{host} (ServiceEntry {se.Meta.Namespace}/{se.Meta.Name})", diagnostics))
                {
                    workloads.Add(EndpointResolver.FromWorkload(we.Spec, ports, we.Meta.Name));
                }
            }
            endpoints = [.. inNs.OfType<Pod>().OrderBy(p => p.Meta.Name, StringComparer.Ordinal)
                    .Where(p => !string.IsNullOrEmpty(p.PodIP) && sel.Matches(p.Meta.Labels))
                    .Select(p => EndpointResolver.FromPod(p, ports))
                .Concat(workloads)
                .DistinctBy(e => e.Address)
                .OrderBy(e => e.Address, StringComparer.Ordinal)];
        }
        else
        {
            var inline = new List<ServiceEndpoint>();
            for (var i = 0; i < se.Endpoints.Length; i++)
            {
                if (Servable(se, se.Endpoints[i], $"spec.endpoints[{i}]", host, diagnostics))
                {
                    inline.Add(EndpointResolver.FromWorkload(se.Endpoints[i], ports, null));
                }
            }
            endpoints = [.. inline.DistinctBy(e => (e.Address, string.Join(',', e.Ports.Values)))];
        }
        var resolution = se.Resolution.ToUpperInvariant() switch
        {
            "DNS" => Resolution.Dns,
            "DNS_ROUND_ROBIN" => Resolution.DnsRoundRobin,
            "NONE" => Resolution.None,
            _ => Resolution.Static,
        };
        var def = new MeshService(host, se.Meta.Namespace,
            [.. ports.Select(p => new MeshServicePort(p.Name, p.Number, ProtocolExtensions.Parse(p.Protocol) ?? Protocol.Tcp, p.TargetPort))],
            [.. se.Addresses], ServiceOrigin.ServiceEntry, resolution, [.. se.ExportTo],
            se.WorkloadSelector?.Labels ?? ImmutableSortedDictionary<string, string>.Empty,
            se.Meta.Labels.Count > 0 ? se.Meta.Labels : null);
        return (def, endpoints);
    }

    /// <summary>True when the workload can be an EDS endpoint; otherwise reports why not, at its address field, and returns false.</summary>
    private static bool Servable(ConfigObject owner, WorkloadEntrySpec spec, string field, string endpointOf, List<ConfigError> diagnostics)
    {
        if (EndpointResolver.WhyNotAnEndpoint(spec, endpointOf) is not { } reason)
        {
            return true;
        }
        diagnostics.Add(new ConfigError("", owner.Kind.ToString(), owner.Meta.Namespace, owner.Meta.Name, field + ".address", reason));
        return false;
    }

    /// <summary>What depends on <paramref name="o"/> as it is indexed now.</summary>
    private void Affected(ConfigObject o, DirtySet dirty)
    {
        var ns = o.Meta.Namespace;
        switch (o)
        {
            case KubeService svc:
                dirty.Hosts.Add(HostOf(svc));
                break;
            case ServiceEntry se:
                dirty.Hosts.UnionWith(se.Hosts.Select(h => h.ToLowerInvariant()));
                break;
            case EndpointSlice slice:
                dirty.Hosts.Add(HostOf(ns, slice.ServiceName));
                break;
            case Pod pod:
                if (_podHosts.TryGetValue((ns, pod.Meta.Name), out var hosts))
                {
                    dirty.Hosts.UnionWith(hosts.Keys);
                }
                foreach (var other in InNamespace(ns))
                {
                    // Services that pick pods by selector (no slices) and ServiceEntries that select workloads.
                    if (other is KubeService s && s.Selector.Count > 0 && s.Selector.Matches(pod.Meta.Labels) && !_slices.ContainsKey((ns, s.Meta.Name)))
                    {
                        dirty.Hosts.Add(HostOf(s));
                    }
                    else if (other is ServiceEntry e && e.WorkloadSelector?.Matches(pod.Meta.Labels) == true)
                    {
                        dirty.Hosts.UnionWith(e.Hosts.Select(h => h.ToLowerInvariant()));
                    }
                }
                break;
            case WorkloadEntry we:
                foreach (var e in InNamespace(ns).OfType<ServiceEntry>().Where(e => e.WorkloadSelector?.Matches(we.Spec.Labels) == true))
                {
                    dirty.Hosts.UnionWith(e.Hosts.Select(h => h.ToLowerInvariant()));
                }
                break;
            case DestinationRule dr:
                dirty.Hosts.Add(Visibility.ResolveHost(dr.Host, ns, settings.DomainSuffix));
                break;
            case VirtualService vs:
                if (vs.AppliesToMesh)
                {
                    var vsHosts = vs.Hosts.Select(h => Visibility.ResolveHost(h, ns, settings.DomainSuffix)).ToList();
                    dirty.Hosts.UnionWith(vsHosts);
                    // A wildcard host routes every defined host under it that no VirtualService names.
                    foreach (var wildcard in vsHosts.Where(h => h.StartsWith('*')))
                    {
                        dirty.Hosts.UnionWith(_definers.Keys.Where(d => Visibility.IsSubsetOf(d, wildcard)));
                    }
                }
                dirty.Namespaces.Add(ns);
                if (vs.Hosts.IsDefaultOrEmpty)
                {
                    // A delegate: what its roots route changes with it.
                    foreach (var root in _objects.Values.OfType<VirtualService>().Where(r => VirtualServiceDelegation.Delegates(r).Contains((ns, vs.Meta.Name))))
                    {
                        Affected(root, dirty);
                    }
                }
                break;
            case Sidecar or Gateway or ServiceFence:
                dirty.Namespaces.Add(ns);
                break;
            case NamespaceObject n:
                dirty.Namespaces.Add(n.Meta.Name); // its slime.io/serviceFenced label fences its services
                break;
        }
        if (o is not NamespaceObject)
        {
            dirty.Namespaces.Add(ns); // the namespace may appear or go with its first or last object
        }
    }

    private void Index(ConfigObject o)
    {
        var ns = o.Meta.Namespace;
        _objects[o.Key] = o;
        if (!_byNamespace.TryGetValue(ns, out var inNs))
        {
            _byNamespace[ns] = inNs = [];
        }
        inNs[o.Key] = o;
        switch (o)
        {
            case KubeService svc:
                Add(_definers, HostOf(svc), o.Key, DefinitionOrder);
                break;
            case ServiceEntry se:
                foreach (var h in se.Hosts)
                {
                    Add(_definers, h.ToLowerInvariant(), o.Key, DefinitionOrder);
                }
                break;
            case EndpointSlice slice:
                if (!_slices.TryGetValue((ns, slice.ServiceName), out var slices))
                {
                    _slices[(ns, slice.ServiceName)] = slices = new(StringComparer.Ordinal);
                }
                slices[slice.Meta.Name] = slice;
                foreach (var pod in PodsOf(slice))
                {
                    if (!_podHosts.TryGetValue(pod, out var hosts))
                    {
                        _podHosts[pod] = hosts = new(StringComparer.Ordinal);
                    }
                    var host = HostOf(ns, slice.ServiceName);
                    hosts[host] = hosts.GetValueOrDefault(host) + 1;
                }
                break;
            case DestinationRule dr:
                Add(_drs, Visibility.ResolveHost(dr.Host, ns, settings.DomainSuffix), o.Key, NamespaceNameOrder);
                break;
            case VirtualService vs when vs.AppliesToMesh:
                foreach (var h in vs.Hosts.Select(h => Visibility.ResolveHost(h, ns, settings.DomainSuffix)).Distinct(StringComparer.Ordinal))
                {
                    Add(_meshVirtualServices, h, o.Key, NamespaceNameOrder);
                    if (h.StartsWith('*'))
                    {
                        _wildcardVirtualServiceHosts.Add(h);
                    }
                }
                break;
        }
    }

    private void Unindex(ConfigObject o)
    {
        var ns = o.Meta.Namespace;
        _objects.Remove(o.Key);
        if (_byNamespace.TryGetValue(ns, out var inNs) && inNs.Remove(o.Key) && inNs.Count == 0)
        {
            _byNamespace.Remove(ns);
        }
        switch (o)
        {
            case KubeService svc:
                Remove(_definers, HostOf(svc), o.Key);
                break;
            case ServiceEntry se:
                foreach (var h in se.Hosts)
                {
                    Remove(_definers, h.ToLowerInvariant(), o.Key);
                }
                break;
            case EndpointSlice slice:
                if (_slices.TryGetValue((ns, slice.ServiceName), out var slices) && slices.Remove(slice.Meta.Name) && slices.Count == 0)
                {
                    _slices.Remove((ns, slice.ServiceName));
                }
                var host = HostOf(ns, slice.ServiceName);
                foreach (var pod in PodsOf(slice))
                {
                    if (_podHosts.TryGetValue(pod, out var hosts) && hosts.TryGetValue(host, out var n))
                    {
                        if (n <= 1)
                        {
                            hosts.Remove(host);
                        }
                        else
                        {
                            hosts[host] = n - 1;
                        }
                        if (hosts.Count == 0)
                        {
                            _podHosts.Remove(pod);
                        }
                    }
                }
                break;
            case DestinationRule dr:
                Remove(_drs, Visibility.ResolveHost(dr.Host, ns, settings.DomainSuffix), o.Key);
                break;
            case VirtualService vs when vs.AppliesToMesh:
                foreach (var h in vs.Hosts.Select(h => Visibility.ResolveHost(h, ns, settings.DomainSuffix)).Distinct(StringComparer.Ordinal))
                {
                    Remove(_meshVirtualServices, h, o.Key);
                    if (h.StartsWith('*') && !_meshVirtualServices.ContainsKey(h))
                    {
                        _wildcardVirtualServiceHosts.Remove(h);
                    }
                }
                break;
        }
    }

    private Pod? PodOf(string ns, string name) => _objects.GetValueOrDefault(new ConfigKey(ConfigKind.Pod, ns, name)) as Pod;

    private static readonly IComparer<ConfigKey> NamespaceNameOrder = Comparer<ConfigKey>.Create((a, b) =>
    {
        var c = string.CompareOrdinal(a.Namespace, b.Namespace);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    });

    private static IEnumerable<(string, string)> PodsOf(EndpointSlice slice) =>
        slice.Endpoints.Where(e => e.TargetRef is { Kind: "Pod" }).Select(e => (e.TargetRef!.Namespace, e.TargetRef.Name)).Distinct();

    private string HostOf(KubeService svc) => HostOf(svc.Meta.Namespace, svc.Meta.Name);

    private string HostOf(string ns, string name) => $"{name}.{ns}.svc.{settings.DomainSuffix}";

    private static void Add(Dictionary<string, SortedSet<ConfigKey>> index, string host, ConfigKey key, IComparer<ConfigKey> order)
    {
        if (!index.TryGetValue(host, out var set))
        {
            index[host] = set = new SortedSet<ConfigKey>(order);
        }
        set.Add(key);
    }

    private static void Remove(Dictionary<string, SortedSet<ConfigKey>> index, string host, ConfigKey key)
    {
        if (index.TryGetValue(host, out var set) && set.Remove(key) && set.Count == 0)
        {
            index.Remove(host);
        }
    }
}

/// <summary>Hosts and namespaces to recompile after changes.</summary>
public sealed class DirtySet
{
    public HashSet<string> Hosts { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Namespaces { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Hosts.Count == 0 && Namespaces.Count == 0;
}
