using Mesh.Model.Config;
using Mesh.Grains.Dtos;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>
/// The source objects compiled incrementally, for every ingest source: objects are applied one by
/// one, and only the hosts and namespaces they affect are compiled again. One changed
/// VirtualService in a 10,000-service mesh compiles (and fingerprints, and writes) its host, not
/// the mesh. Keeps each host's definition by namespace (a namespace's config is compiled from
/// them) and each host's diagnostics. Not thread-safe: owned by a source's apply loop.
/// </summary>
public sealed class IncrementalRegistry(MeshSettings settings)
{
    private static readonly System.Diagnostics.Metrics.Counter<long> HostsCompiled = Status.IngestStatus.Meter.CreateCounter<long>(
        "mesh_ingest_hosts_compiled", description: "Hosts compiled from their source objects: per apply, only those the changed objects affect.");

    private readonly RegistryIndex _index = new(settings);
    private readonly Dictionary<string, (string Namespace, string Fingerprint)> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, MeshService>> _definitionsByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ConfigError>> _diagnostics = new(StringComparer.Ordinal);

    /// <summary>Objects held.</summary>
    public int Count => _index.Count;

    /// <summary>Hosts defined.</summary>
    public int Definitions => _definitions.Count;

    public IEnumerable<string> Namespaces => _index.Namespaces;

    public IReadOnlyCollection<ConfigObject> InNamespace(string ns) => _index.InNamespace(ns);

    /// <summary>What the hosts compiled so far report (losing definitions, workloads left out), in host order.</summary>
    public IEnumerable<ConfigError> Diagnostics => _diagnostics.OrderBy(c => c.Key, StringComparer.Ordinal).SelectMany(c => c.Value).Concat(IdlePolicies());

    /// <summary>A RolloutPolicy whose selector matches no VirtualService or DestinationRule: valid (one may come later), but worth a warning.</summary>
    private IEnumerable<ConfigError> IdlePolicies()
    {
        var policies = _index.Policies.ToList();
        if (policies.Count == 0)
        {
            return [];
        }
        var governable = _index.Keys.Where(k => k.Kind is ConfigKind.VirtualService or ConfigKind.DestinationRule)
            .Select(_index.Get).OfType<ConfigObject>().ToList();
        return Model.Rollouts.RolloutGovernance.Idle(policies, governable)
            .OrderBy(p => p.Meta.Namespace, StringComparer.Ordinal).ThenBy(p => p.Meta.Name, StringComparer.Ordinal)
            .Select(p => new ConfigError("", nameof(ConfigKind.RolloutPolicy), p.Meta.Namespace, p.Meta.Name, "spec.selector",
                "selects no VirtualService or DestinationRule: the policy governs nothing until one matches"));
    }

    /// <summary>Makes <paramref name="now"/> (null: none) the object under <paramref name="key"/>, marking what it affects; the object already held is a no-op.</summary>
    public void Apply(ConfigKey key, ConfigObject? now, DirtySet dirty)
    {
        if (!ReferenceEquals(now, _index.Get(key)))
        {
            _index.Apply(key, now, dirty);
        }
    }

    /// <summary>
    /// Makes <paramref name="objects"/> (unique keys) the whole set held: keys not among them are
    /// removed, and only objects that are not the instances already held are applied (a source that
    /// re-parses only changed files passes the same instances for the rest).
    /// </summary>
    public void Sync(IReadOnlyCollection<ConfigObject> objects, DirtySet dirty)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var current = new Dictionary<ConfigKey, ConfigObject>(objects.Count);
        foreach (var o in objects)
        {
            current[o.Key] = o;
        }
        foreach (var gone in _index.Keys.Where(k => !current.ContainsKey(k)).ToList())
        {
            Apply(gone, null, dirty);
        }
        foreach (var (key, o) in current)
        {
            Apply(key, o, dirty);
        }
    }

    /// <summary>
    /// Compiles the hosts and namespaces in <paramref name="dirty"/> (with <paramref name="everything"/>,
    /// all of them): null for one nothing defines any more, so the writer removes it.
    /// </summary>
    public (Dictionary<string, DesiredService?> Services, Dictionary<string, NamespaceConfig?> Namespaces) Compile(DirtySet dirty, bool everything)
    {
        ArgumentNullException.ThrowIfNull(dirty);
        if (everything)
        {
            dirty.Hosts.UnionWith(_index.Hosts.Concat(_definitions.Keys));
            dirty.Namespaces.UnionWith(_index.Namespaces.Concat(_definitionsByNamespace.Keys));
        }
        var services = new Dictionary<string, DesiredService?>(StringComparer.Ordinal);
        HostsCompiled.Add(dirty.Hosts.Count);
        foreach (var host in dirty.Hosts)
        {
            var diagnostics = new List<ConfigError>();
            var svc = _index.CompileHost(host, diagnostics);
            services[host] = svc;
            if (diagnostics.Count == 0)
            {
                _diagnostics.Remove(host);
            }
            else
            {
                _diagnostics[host] = diagnostics;
            }
            TrackDefinition(host, svc?.Definition, dirty);
        }
        var namespaces = new Dictionary<string, NamespaceConfig?>(StringComparer.Ordinal);
        foreach (var ns in dirty.Namespaces)
        {
            namespaces[ns] = _index.CompileNamespace(ns, _definitionsByNamespace.TryGetValue(ns, out var defs) ? defs.Values : []);
        }
        return (services, namespaces);
    }

    /// <summary>Keeps the per-namespace definitions current; a namespace whose definitions changed is compiled too.</summary>
    private void TrackDefinition(string host, MeshService? def, DirtySet dirty)
    {
        var had = _definitions.TryGetValue(host, out var old);
        var fingerprint = def is null ? null : Fingerprint.Of(def);
        if (had && def is not null && old.Namespace == def.Namespace && old.Fingerprint == fingerprint)
        {
            _definitionsByNamespace[def.Namespace][host] = def;
            return; // endpoints or routing only: the namespace config is unchanged
        }
        if (had)
        {
            if (_definitionsByNamespace.TryGetValue(old.Namespace, out var oldNs) && oldNs.Remove(host) && oldNs.Count == 0)
            {
                _definitionsByNamespace.Remove(old.Namespace);
            }
            dirty.Namespaces.Add(old.Namespace);
            _definitions.Remove(host);
        }
        if (def is not null)
        {
            _definitions[host] = (def.Namespace, fingerprint!);
            if (!_definitionsByNamespace.TryGetValue(def.Namespace, out var inNs))
            {
                _definitionsByNamespace[def.Namespace] = inNs = new(StringComparer.Ordinal);
            }
            inNs[host] = def;
            dirty.Namespaces.Add(def.Namespace);
        }
    }
}
