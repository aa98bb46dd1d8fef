using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Scope;
using Mesh.Model.Config;
using Mesh.Model.Fences;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Catalog;

/// <summary>
/// This silo's replica of the mesh's shared config: the namespace list, every namespace's config
/// and every service's scope view, kept current by the mesh and namespace grains (one subscription
/// per silo, not per scope). Scopes and workloads on this silo build from it without a grain call
/// and register what they read (in memory, no state write); a change is routed to exactly the
/// grains whose inputs it changes: a view change to the scopes that see its host, a new or
/// re-exported service to the scopes whose visibility of it changes, a Sidecar change to its
/// namespace's scopes and workloads. Nothing else is woken.
/// </summary>
internal sealed partial class SiloCatalog
{
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly MeshSettings _settings;
    private readonly IServiceProvider _services;
    private readonly ILogger<SiloCatalog> _logger;
    private readonly Lock _gate = new();

    private ImmutableSortedSet<string> _namespaceList = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private readonly Dictionary<string, NamespaceConfig> _configs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImmutableSortedDictionary<string, ImmutableSortedSet<string>>> _learned = new(StringComparer.Ordinal);
    // The sequence of the last learned set taken per fence (OnLearnedChanged messages may be reordered).
    private readonly Dictionary<(string Namespace, string Service), long> _learnedSequences = [];
    // Fenced scopes by their fence: a learned host wakes these, without a scan of every scope.
    private readonly Dictionary<(string Namespace, string Service), HashSet<string>> _scopesByFence = [];
    // Each namespace's fences in force (enabled ServiceFences and label-implied ones), derived once per config.
    private readonly Dictionary<string, ImmutableArray<ServiceFence>> _fences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Namespace, ServiceScopeView View)> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MeshService> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, MeshService>> _definitionsByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CatalogRegistration> _scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _scopesByHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CatalogRegistration> _workloads = new(StringComparer.Ordinal);

    // When each namespace's config and each service's view was last applied (a counter, not a clock):
    // a renewal's snapshot, fetched before a notification that arrived while it was in flight, must
    // not put the older content back.
    private long _stamp;
    private readonly Dictionary<string, long> _configStamps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _viewStamps = new(StringComparer.Ordinal);

    /// <summary>The current apply stamp: taken before a renewal's fetch, and passed back with what it fetched.</summary>
    internal long Stamp
    {
        get
        {
            lock (_gate)
            {
                return _stamp;
            }
        }
    }

    public SiloCatalog(IGrainFactory grains, TimeProvider time, MeshSettings settings, IServiceProvider services, ILogger<SiloCatalog> logger)
    {
        _grains = grains;
        _time = time;
        _settings = settings;
        _services = services;
        _logger = logger;
        CatalogMetrics.Register(this);
    }

    /// <summary>Namespaces, service definitions and views held (for metrics and /debug).</summary>
    public (int Namespaces, int Services, int Views, int Scopes, int Workloads) Counts
    {
        get
        {
            lock (_gate)
            {
                return (_configs.Count, _definitions.Count, _views.Count, _scopes.Count, _workloads.Count);
            }
        }
    }

    /// <summary>
    /// A sidecar's or proxyless client's scope: the services it sees, by exportTo and its Sidecar's
    /// egress, with their views; registers the seen hosts so that it is told of their changes.
    /// </summary>
    public ScopeReading ReadScope(string key, ScopeIdentity identity)
    {
        lock (_gate)
        {
            var own = _configs.GetValueOrDefault(identity.Namespace) ?? NamespaceConfig.Empty(identity.Namespace);
            Sidecar? sidecar = null;
            if (identity.Sidecar is { } name && (sidecar = ScopeInputs.FindSidecar(own, name)) is null)
            {
                Register(_scopes, key, identity, identity.Namespace, hosts: null);
                return new ScopeReading(true, null, []);
            }
            ServiceFence? fence = null;
            if (identity.Fence is { } fenceName && (fence = FindFence(identity.Namespace, fenceName)) is null)
            {
                Register(_scopes, key, identity, identity.Namespace, hosts: null);
                return new ScopeReading(true, null, []);
            }
            var hosts = new HashSet<string>(StringComparer.Ordinal);
            // A Sidecar naming its namespaces (./*, shared/*) reads those, not every service of the mesh.
            var namespaces = ScopeInputs.EgressNamespaces(sidecar, identity.Namespace);
            var learned = fence is null ? NoLearnedHosts : LearnedOf(identity.Namespace, fence.Meta.Name);
            var candidates = fence is { LabelSelector.IsEmpty: true }
                ? FenceCandidates(fence, learned) // a fence naming hosts and namespaces reads those, not every service
                : namespaces is null
                    ? _definitions.Values
                    : namespaces.SelectMany(n => _definitionsByNamespace.TryGetValue(n, out var defs) ? defs.Values : Enumerable.Empty<MeshService>());
            var now = _time.GetUtcNow();
            if (fence is null)
            {
                hosts.UnionWith(candidates.Where(svc => ScopeInputs.Sees(svc, identity.Namespace, sidecar)).Select(svc => svc.Hostname));
            }
            else
            {
                WatchDeadline(key, fence, now);
                var egress = new[] { _settings.LazyEgress, _settings.LazyEgressIn(identity.Namespace) }.Select(_definitions.GetValueOrDefault);
                hosts.UnionWith(candidates.Concat(egress).OfType<MeshService>()
                    .Where(svc => FenceSeesDirectly(fence, learned, svc, identity.Namespace, sidecar, now)).Select(svc => svc.Hostname));
                hosts = FencePolicy.Follow(hosts, DestinationsOf, h => _definitions.TryGetValue(h, out var d) && ScopeInputs.Sees(d, identity.Namespace, sidecar));
            }
            var services = new List<ScopeService>(hosts.Count);
            Dictionary<string, ImmutableDictionary<string, ScopeService>>? variants = null;
            foreach (var host in hosts)
            {
                if (_views.TryGetValue(host, out var v) && v.View.Service is { } view)
                {
                    services.Add(view);
                    if (v.View is { CandidateRollout: { } rollout, Candidate: { } candidate })
                    {
                        variants ??= new(StringComparer.Ordinal);
                        variants[rollout] = variants.GetValueOrDefault(rollout, ImmutableDictionary<string, ScopeService>.Empty.WithComparers(StringComparer.Ordinal)).SetItem(host, candidate);
                    }
                }
            }
            Register(_scopes, key, identity, identity.Namespace, hosts);
            return new ScopeReading(false, sidecar, [.. services
                .OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Hostname, StringComparer.Ordinal)], fence,
                variants?.ToImmutableSortedDictionary(StringComparer.Ordinal));
        }
    }

    private static readonly IReadOnlySet<string> NoLearnedHosts = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The fences in force in <paramref name="ns"/> (a workload picks its fence from them).</summary>
    public ImmutableArray<ServiceFence> FencesOf(string ns)
    {
        lock (_gate)
        {
            return _fences.GetValueOrDefault(ns, []);
        }
    }

    /// <summary>The fence named <paramref name="name"/> in force in <paramref name="ns"/>, if it still is. Under the lock.</summary>
    private ServiceFence? FindFence(string ns, string name) =>
        _fences.GetValueOrDefault(ns, []).FirstOrDefault(f => string.Equals(f.Meta.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// Whether a fenced scope of <paramref name="proxyNamespace"/> holds <paramref name="svc"/> by its
    /// fence alone (not through a VirtualService): the lazy egress, a system service, whatever the
    /// Sidecar says (exportTo still applies); any other service when the Sidecar lets the proxy see it
    /// and the fence admits it.
    /// </summary>
    private bool FenceSeesDirectly(ServiceFence fence, IReadOnlySet<string> learned, MeshService svc, string proxyNamespace, Sidecar? sidecar, DateTimeOffset now) =>
        _settings.IsLazyEgressFor(svc.Hostname, proxyNamespace)
            ? Visibility.IsExportedTo(svc.ExportTo, svc.Namespace, proxyNamespace)
            : ScopeInputs.Sees(svc, proxyNamespace, sidecar) && FencePolicy.Admits(fence, learned, svc, _settings.LazyEgress, now);

    /// <summary>The services a fence without label selectors can admit: its FQDN hosts and every service of the namespaces it names.</summary>
    private IEnumerable<MeshService> FenceCandidates(ServiceFence fence, IReadOnlySet<string> learned)
    {
        var namespaces = fence.NamespaceSelector
            .Concat(fence.Hosts.Keys.Where(h => h.EndsWith("/*", StringComparison.Ordinal)).Select(h => h[..^2]))
            .ToHashSet(StringComparer.Ordinal);
        return fence.Hosts.Keys
            .Where(h => !h.Contains('/', StringComparison.Ordinal))
            .Concat(learned)
            .Distinct(StringComparer.Ordinal)
            .Select(h => _definitions.GetValueOrDefault(h))
            .OfType<MeshService>()
            .Where(s => !namespaces.Contains(s.Namespace))
            .Concat(namespaces.SelectMany(n => _definitionsByNamespace.TryGetValue(n, out var defs) ? defs.Values : Enumerable.Empty<MeshService>()));
    }

    /// <summary>The hosts the fence of <paramref name="service"/> in <paramref name="ns"/> learned.</summary>
    private IReadOnlySet<string> LearnedOf(string ns, string service) =>
        _learned.TryGetValue(ns, out var byFence) && byFence.TryGetValue(service, out var hosts) ? hosts : NoLearnedHosts;

    /// <summary>Where a service's VirtualServices send traffic (from its current view).</summary>
    private IEnumerable<string> DestinationsOf(string host) =>
        _views.TryGetValue(host, out var v) && v.View.Service is { RouteDestinations: { IsDefault: false } destinations } ? destinations : [];

    /// <summary>A router's scope: the Gateways selecting its labels, their VirtualServices, and the destinations' ports.</summary>
    public RouterReading ReadRouter(string key, ScopeIdentity identity)
    {
        lock (_gate)
        {
            var configs = _configs.Values.ToList();
            var gateways = ScopeInputs.RouterGateways(configs, identity.Labels);
            var virtualServices = ScopeInputs.RouterVirtualServices(configs, gateways);
            var hosts = Visibility.DestinationHosts(virtualServices, _settings.DomainSuffix).ToHashSet(StringComparer.Ordinal);
            var ports = hosts
                .Where(h => _views.TryGetValue(h, out var v) && v.View.Service is not null)
                .ToImmutableSortedDictionary(h => h, h => _views[h].View.Service!.Ports, StringComparer.Ordinal);
            Register(_scopes, key, identity, identity.Namespace, hosts);
            return new RouterReading(gateways, virtualServices, ports);
        }
    }

    /// <summary>A workload's namespace config; registers the workload so that it is told when that config changes.</summary>
    public NamespaceConfig ReadWorkload(string key, string ns)
    {
        lock (_gate)
        {
            Register(_workloads, key, null, ns, hosts: null);
            return _configs.GetValueOrDefault(ns) ?? NamespaceConfig.Empty(ns);
        }
    }

    /// <summary>The grain deactivated: forget what it read.</summary>
    public void Release(string key)
    {
        lock (_gate)
        {
            if (_scopes.Remove(key, out var scope))
            {
                Unindex(scope);
                if (scope.Scope?.Fence is { } fence && _scopesByFence.TryGetValue((scope.Namespace, fence), out var fenced) && fenced.Remove(key) && fenced.Count == 0)
                {
                    _scopesByFence.Remove((scope.Namespace, fence));
                }
            }
            _workloads.Remove(key);
        }
    }

    private void Register(Dictionary<string, CatalogRegistration> table, string key, ScopeIdentity? scope, string ns, HashSet<string>? hosts)
    {
        if (!table.TryGetValue(key, out var reg))
        {
            reg = new CatalogRegistration(key, scope, ns);
            table[key] = reg;
            if (scope?.Fence is { } fence && ReferenceEquals(table, _scopes))
            {
                if (!_scopesByFence.TryGetValue((ns, fence), out var fenced))
                {
                    _scopesByFence[(ns, fence)] = fenced = new HashSet<string>(StringComparer.Ordinal);
                }
                fenced.Add(key);
            }
        }
        reg.Pending = false;
        if (hosts is null)
        {
            return; // a workload, or a scope whose Sidecar is gone: it keeps what it registered before
        }
        Unindex(reg);
        reg.Hosts = hosts;
        foreach (var h in hosts)
        {
            if (!_scopesByHost.TryGetValue(h, out var keys))
            {
                _scopesByHost[h] = keys = new HashSet<string>(StringComparer.Ordinal);
            }
            keys.Add(key);
        }
    }

    private void SetDefinition(MeshService def)
    {
        if (_definitions.TryGetValue(def.Hostname, out var held) && held.Namespace != def.Namespace)
        {
            RemoveDefinition(held); // the host moved to (or is defined again in) another namespace
        }
        _definitions[def.Hostname] = def;
        if (!_definitionsByNamespace.TryGetValue(def.Namespace, out var defs))
        {
            _definitionsByNamespace[def.Namespace] = defs = new Dictionary<string, MeshService>(StringComparer.Ordinal);
        }
        defs[def.Hostname] = def;
    }

    private void RemoveDefinition(MeshService def)
    {
        _definitions.Remove(def.Hostname);
        if (_definitionsByNamespace.TryGetValue(def.Namespace, out var defs) && defs.Remove(def.Hostname) && defs.Count == 0)
        {
            _definitionsByNamespace.Remove(def.Namespace);
        }
    }

    private void Unindex(CatalogRegistration reg)
    {
        foreach (var h in reg.Hosts)
        {
            if (_scopesByHost.TryGetValue(h, out var keys) && keys.Remove(reg.Key) && keys.Count == 0)
            {
                _scopesByHost.Remove(h);
            }
        }
    }

    /// <summary>
    /// Takes a namespace's config and views; returns the grains whose inputs changed. A snapshot
    /// fetched at <paramref name="fetchedAt"/> (a renewal) leaves alone what a notification applied
    /// after that: the config, or a service's view, it would otherwise set back to older content.
    /// </summary>
    private Affected ApplyNamespace(NamespaceSnapshot snapshot, long? fetchedAt = null)
    {
        var ns = snapshot.Config.Namespace;
        var affected = new Affected();
        lock (_gate)
        {
            var stamp = ++_stamp;
            var old = _configs.GetValueOrDefault(ns) ?? NamespaceConfig.Empty(ns);
            var config = snapshot.Config;
            var stale = fetchedAt is { } f && _configStamps.GetValueOrDefault(ns) > f;
            if (stale)
            {
                config = old;
            }
            else
            {
                _configs[ns] = config;
                _configStamps[ns] = stamp;
            }
            var oldLearned = _learned.GetValueOrDefault(ns) ?? NamespaceSnapshot.NoneLearned;
            var newLearned = stale ? oldLearned : snapshot.LearnedOrEmpty;
            if (newLearned.IsEmpty)
            {
                _learned.Remove(ns);
            }
            else
            {
                _learned[ns] = newLearned;
            }

            // Service definitions: added, removed, or moved/re-exported (what visibility reads).
            var oldDefs = old.Services.DistinctBy(s => s.Hostname).ToDictionary(s => s.Hostname, StringComparer.Ordinal);
            var newDefs = config.Services.DistinctBy(s => s.Hostname).ToDictionary(s => s.Hostname, StringComparer.Ordinal);
            var changedHosts = new List<string>();
            foreach (var (host, def) in oldDefs)
            {
                if (!newDefs.TryGetValue(host, out var now) || !SameVisibility(def, now))
                {
                    changedHosts.Add(host);
                }
                if (!newDefs.ContainsKey(host) && _definitions.TryGetValue(host, out var held) && held.Namespace == ns)
                {
                    RemoveDefinition(held);
                }
            }
            foreach (var (host, def) in newDefs)
            {
                if (!oldDefs.ContainsKey(host))
                {
                    changedHosts.Add(host);
                }
                SetDefinition(def);
            }

            // Views of this namespace's services: new versions, and those gone from it.
            var changedViews = new List<string>();
            var fresh = snapshot.Views.ToDictionary(v => v.Host, StringComparer.Ordinal);
            foreach (var v in snapshot.Views)
            {
                if (fetchedAt is { } fetched && _viewStamps.GetValueOrDefault(v.Host) > fetched)
                {
                    continue; // a notification after the fetch brought a newer view
                }
                if (!_views.TryGetValue(v.Host, out var held) || held.View.Version != v.Version)
                {
                    _views[v.Host] = (ns, v);
                    _viewStamps[v.Host] = stamp;
                    changedViews.Add(v.Host);
                }
            }
            foreach (var host in _views.Where(kv => kv.Value.Namespace == ns && !fresh.ContainsKey(kv.Key)
                && (fetchedAt is not { } fetched || _viewStamps.GetValueOrDefault(kv.Key) <= fetched)).Select(kv => kv.Key).ToList())
            {
                _views.Remove(host);
                _viewStamps[host] = stamp;
                changedViews.Add(host);
            }

            var changedSidecars = ChangedNames(old.Sidecars, config.Sidecars, s => s.Meta.Name);
            var oldFences = _fences.GetValueOrDefault(ns, []);
            var newFences = stale ? oldFences : config.FencesInForce();
            if (newFences.IsEmpty)
            {
                _fences.Remove(ns);
            }
            else
            {
                _fences[ns] = newFences;
            }
            var changedFenceObjects = ChangedNames(oldFences, newFences, f => f.Meta.Name);
            // A learned host changes the fence's scopes, not which workloads it fences.
            var changedFences = new HashSet<string>(changedFenceObjects, StringComparer.Ordinal);
            changedFences.UnionWith(oldLearned.Keys.Union(newLearned.Keys)
                .Where(f => !(oldLearned.TryGetValue(f, out var a) && newLearned.TryGetValue(f, out var b) && a.SetEquals(b))));
            var routersChanged = !SameJson(old.Gateways, config.Gateways) || !SameJson(old.GatewayVirtualServices, config.GatewayVirtualServices);
            var workloadsChanged = changedSidecars.Count > 0 || changedFenceObjects.Count > 0 || !SameJson(old.Services, config.Services);

            foreach (var reg in _scopes.Values)
            {
                if (reg.Scope!.Kind == ProxyKind.Router && !reg.Scope.IsLazyEgress
                    ? routersChanged || changedHosts.Concat(changedViews).Any(reg.Hosts.Contains)
                    : ScopeAffected(reg, ns, changedSidecars, changedFences, changedHosts, changedViews))
                {
                    affected.Add(reg, scope: true);
                }
            }
            if (workloadsChanged)
            {
                foreach (var reg in _workloads.Values.Where(w => w.Namespace == ns))
                {
                    affected.Add(reg, scope: false);
                }
            }
        }
        return affected;
    }

    /// <summary>
    /// Takes one fence's learned hosts; returns that fence's scopes. It counts as a config apply of the
    /// namespace (its stamp moves), so a renewal fetched before it does not put the older set back.
    /// </summary>
    private Affected ApplyLearned(string ns, string service, ImmutableSortedSet<string> hosts, long sequence)
    {
        var affected = new Affected();
        lock (_gate)
        {
            if (_learnedSequences.TryGetValue((ns, service), out var seen) && seen >= sequence)
            {
                return affected; // an older set that arrived after a newer one
            }
            _learnedSequences[(ns, service)] = sequence;
            _configStamps[ns] = ++_stamp;
            var before = _learned.GetValueOrDefault(ns) ?? NamespaceSnapshot.NoneLearned;
            if (before.TryGetValue(service, out var known) ? known.SetEquals(hosts) : hosts.IsEmpty)
            {
                return affected;
            }
            var after = hosts.IsEmpty ? before.Remove(service) : before.SetItem(service, hosts);
            if (after.IsEmpty)
            {
                _learned.Remove(ns);
            }
            else
            {
                _learned[ns] = after;
            }
            foreach (var key in _scopesByFence.GetValueOrDefault((ns, service)) ?? [])
            {
                affected.Add(_scopes[key], scope: true);
            }
        }
        return affected;
    }

    /// <summary>Takes one service's new view; returns the scopes that see its host.</summary>
    private Affected ApplyView(string ns, ServiceScopeView view)
    {
        var affected = new Affected();
        lock (_gate)
        {
            _viewStamps[view.Host] = ++_stamp;
            if (_views.TryGetValue(view.Host, out var held) && held.View.Version == view.Version)
            {
                return affected;
            }
            if (view.Service is null)
            {
                _views.Remove(view.Host);
            }
            else
            {
                _views[view.Host] = (ns, view);
            }
            if (_scopesByHost.TryGetValue(view.Host, out var keys))
            {
                foreach (var key in keys)
                {
                    affected.Add(_scopes[key], scope: true);
                }
            }
        }
        return affected;
    }

    private bool ScopeAffected(CatalogRegistration reg, string ns, HashSet<string> changedSidecars, HashSet<string> changedFences, List<string> changedHosts, List<string> changedViews)
    {
        var id = reg.Scope!;
        if (id.Namespace == ns && ((id.Sidecar is { } name && changedSidecars.Contains(name)) || (id.Fence is { } fenceName && changedFences.Contains(fenceName))))
        {
            return true;
        }
        if (changedViews.Any(reg.Hosts.Contains))
        {
            return true;
        }
        if (changedHosts.Count == 0)
        {
            return false;
        }
        var own = _configs.GetValueOrDefault(id.Namespace) ?? NamespaceConfig.Empty(id.Namespace);
        Sidecar? sidecar = null;
        if (id.Sidecar is { } n && (sidecar = ScopeInputs.FindSidecar(own, n)) is null)
        {
            return false; // its Sidecar is gone: its workloads are moving to another scope
        }
        if (id.Fence is { } f)
        {
            if (FindFence(id.Namespace, f) is not { } fence)
            {
                return false; // its fence is gone: its workloads are moving to another scope
            }
            var now = _time.GetUtcNow();
            return changedHosts.Any(h => reg.Hosts.Contains(h) != FencedScopeAdmits(fence, reg, h, id.Namespace, sidecar, now));
        }
        return changedHosts.Any(h =>
            reg.Hosts.Contains(h) != (_definitions.TryGetValue(h, out var def) && ScopeInputs.Sees(def, id.Namespace, sidecar)));
    }

    /// <summary>
    /// Whether a fenced scope would hold <paramref name="host"/> now: the fence admits it (or it is the
    /// lazy egress), or a service the scope holds routes to it. Per changed host, O(hosts the scope
    /// holds) — a fenced scope holds few — instead of resolving the whole fence again.
    /// </summary>
    private bool FencedScopeAdmits(ServiceFence fence, CatalogRegistration reg, string host, string proxyNamespace, Sidecar? sidecar, DateTimeOffset now) =>
        _definitions.TryGetValue(host, out var def)
        && (FenceSeesDirectly(fence, LearnedOf(proxyNamespace, fence.Meta.Name), def, proxyNamespace, sidecar, now)
            || (ScopeInputs.Sees(def, proxyNamespace, sidecar)
                && reg.Hosts.Any(held => !string.Equals(held, host, StringComparison.Ordinal) && DestinationsOf(held).Contains(host, StringComparer.Ordinal))));

    // Labels decide what a fence's labelSelector admits (and whether a Service's own label implies a fence).
    private static bool SameVisibility(MeshService a, MeshService b) =>
        a.Namespace == b.Namespace && a.ExportTo.SequenceEqual(b.ExportTo, StringComparer.Ordinal)
        && a.LabelsOrEmpty.SequenceEqual(b.LabelsOrEmpty);

    private static HashSet<string> ChangedNames<T>(ImmutableArray<T> before, ImmutableArray<T> after, Func<T, string> name)
    {
        var a = before.ToDictionary(name, x => System.Text.Json.JsonSerializer.Serialize(x), StringComparer.Ordinal);
        var b = after.ToDictionary(name, x => System.Text.Json.JsonSerializer.Serialize(x), StringComparer.Ordinal);
        return [.. a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))];
    }

    private static bool SameJson<T>(T a, T b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    /// <summary>Tells each affected grain once (a grain already told and not yet rebuilt is not told again).</summary>
    private void Tell(Affected affected)
    {
        foreach (var key in affected.Scopes)
        {
            CatalogMetrics.Notifications.Add(1, new KeyValuePair<string, object?>("target", "scope"));
            _ = _grains.GetGrain<IScopeGrain>(key).OnInputsChangedAsync();
        }
        foreach (var key in affected.Workloads)
        {
            CatalogMetrics.Notifications.Add(1, new KeyValuePair<string, object?>("target", "workload"));
            _ = _grains.GetGrain<IWorkloadGrain>(key).OnInputsChangedAsync();
        }
    }

    /// <summary>The grains a change reaches, collected under the lock and told after it.</summary>
    private sealed class Affected
    {
        public List<string> Scopes { get; } = [];

        public List<string> Workloads { get; } = [];

        public bool IsEmpty => Scopes.Count == 0 && Workloads.Count == 0;

        public void Add(CatalogRegistration reg, bool scope)
        {
            if (reg.Pending)
            {
                return;
            }
            reg.Pending = true;
            (scope ? Scopes : Workloads).Add(reg.Key);
        }
    }
}
