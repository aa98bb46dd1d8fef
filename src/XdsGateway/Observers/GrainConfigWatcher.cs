using System.Collections.Immutable;
using Grpc.Core;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// The grain-backed <see cref="IConfigWatcher"/>. One observer reference per gateway process is
/// subscribed to the workloads, scopes and services that local streams need (each once, however
/// many streams); notifications update the shared entries and wake only the streams that want a
/// changed name. A stream's workload says which shared scope serves it, and may move it to another.
/// Subscriptions are leased and renewed, and every renewal re-fetches the current resources, so a
/// notification lost while a silo restarted is repaired. No grain call that could be slow ends a
/// stream: loading retries, and proxy status bookkeeping is one-way and off the connect path.
/// </summary>
public sealed partial class GrainConfigWatcher(
    IGrainFactory grains,
    GatewayIdentity gateway,
    TimeProvider time,
    XdsMetrics metrics,
    ILogger<GrainConfigWatcher> logger) : IConfigWatcher, IXdsGatewayObserver, IHostedService, IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, WorkloadEntry> _workloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScopeEntry> _scopes = new(StringComparer.Ordinal);
    // Changed only under _lock (with the entries' watch sets); read without it on every resolution.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);
    private readonly HashSet<GrainProxyWatch> _watches = [];
    private IXdsGatewayObserver? _self;
    private readonly ProxyReports _reports = new(time);

    /// <summary>Equal resolved sets shared across this gateway's streams.</summary>
    internal ResolutionInterner Interner { get; } = new();

    // Resources adapted to a client (its quirks, its locality), per resource instance: every stream
    // of the same kind shares the adapted bytes, which go when the resource does.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ClientQuirks, System.Runtime.CompilerServices.ConditionalWeakTable<XdsResource, XdsResource>> _byQuirks = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Mesh.Model.Services.Locality, System.Runtime.CompilerServices.ConditionalWeakTable<XdsResource, XdsResource>> _byLocality = new();

    /// <summary>
    /// <paramref name="resource"/> as <paramref name="node"/> takes it, built once per resource and
    /// kind of client: a load assignment with a locality plan for the node's locality
    /// (<see cref="LocalityLoadBalancing.Adapt"/>), a route or cluster for a proxyless client's
    /// quirks (<see cref="ProxylessClients.Adapt"/>); the resource itself otherwise.
    /// </summary>
    internal XdsResource Adapt(XdsResource resource, ProxyNode node)
    {
        if (resource.TypeUrl == TypeUrls.Endpoint)
        {
            return resource.LocalityLb is null ? resource : ForLocality(resource, node.Locality);
        }
        return node.Quirks == ClientQuirks.None || resource.TypeUrl is not (TypeUrls.Route or TypeUrls.Cluster) ? resource : ForQuirks(resource, node.Quirks);
    }

    private XdsResource ForLocality(XdsResource resource, Mesh.Model.Services.Locality locality) =>
        AdaptOnce(_byLocality, locality, resource, static (r, l) => LocalityLoadBalancing.Adapt(r, l), "locality");

    private XdsResource ForQuirks(XdsResource resource, ClientQuirks quirks) =>
        AdaptOnce(_byQuirks, quirks, resource, static (r, q) => ProxylessClients.Adapt(r, q), "client");

    /// <summary>
    /// <paramref name="resource"/> adapted for <paramref name="kind"/>, built at most once per resource
    /// instance and kind (counted when it differs); the lookup allocates nothing once built.
    /// </summary>
    private XdsResource AdaptOnce<TKind>(
        System.Collections.Concurrent.ConcurrentDictionary<TKind, System.Runtime.CompilerServices.ConditionalWeakTable<XdsResource, XdsResource>> tables,
        TKind kind, XdsResource resource, Func<XdsResource, TKind, XdsResource> adapt, string reason)
        where TKind : notnull
    {
        var table = tables.GetOrAdd(kind, static _ => new());
        return table.TryGetValue(resource, out var adapted) ? adapted : Build(table, kind, resource, adapt, reason, metrics);

        // Apart, so the closure is allocated only when the adapted resource is built.
        static XdsResource Build(System.Runtime.CompilerServices.ConditionalWeakTable<XdsResource, XdsResource> table, TKind kind, XdsResource resource,
            Func<XdsResource, TKind, XdsResource> adapt, string reason, XdsMetrics metrics) =>
            table.GetValue(resource, r =>
            {
                var built = adapt(r, kind);
                if (!ReferenceEquals(built, r))
                {
                    metrics.OnAdapted(reason);
                }
                return built;
            });
    }

    private ITimer? _renewal;
    private ITimer? _reportFlush;
    private volatile bool _ready;

    /// <summary>The streams connected to this gateway (for /debug/syncz and config_dump).</summary>
    public IReadOnlyCollection<GrainProxyWatch> Watches
    {
        get
        {
            lock (_lock)
            {
                return [.. _watches];
            }
        }
    }

    private long _wholeResolutions;
    private long _patchedResolutions;

    /// <summary>Sets resolved name by name (see <see cref="OnResolved"/>).</summary>
    internal long WholeResolutions => Interlocked.Read(ref _wholeResolutions);

    /// <summary>Sets made by applying changed names to a set held.</summary>
    internal long PatchedResolutions => Interlocked.Read(ref _patchedResolutions);

    /// <summary>A stream's set of <paramref name="typeUrl"/> was built whole or patched (<c>xds_resolutions_total</c>).</summary>
    internal void OnResolved(string typeUrl, bool patch)
    {
        Interlocked.Increment(ref patch ? ref _patchedResolutions : ref _wholeResolutions);
        metrics.OnResolution(typeUrl, patch ? "patch" : "whole");
    }

    internal int ServiceEntryCount
    {
        get
        {
            lock (_lock)
            {
                return _services.Count;
            }
        }
    }

    /// <summary>Workload and scope entries this gateway holds (streams of one scope share one entry).</summary>
    internal (int Workloads, int Scopes) EntryCounts
    {
        get
        {
            lock (_lock)
            {
                return (_workloads.Count, _scopes.Count);
            }
        }
    }

    /// <summary>True once the mesh's initial load is complete (cached once true); false while the cluster is unreachable.</summary>
    public async Task<bool> IsReadyAsync()
    {
        if (!_ready)
        {
            try
            {
                _ready = await grains.GetGrain<IMeshGrain>(MeshKey.Default).IsReadyAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or InvalidOperationException)
            {
                return false;
            }
        }
        return _ready;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _renewal = time.CreateTimer(_ => _ = RenewAsync(GrainLeases.Renew / 2), null, GrainLeases.Renew, GrainLeases.Renew);
        metrics.ObserveRolloutCohorts(() => CohortCounts, () => VariantBytes);
        _reportFlush = time.CreateTimer(_ => FlushReports(), null, ReportInterval, ReportInterval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_renewal is not null)
        {
            await _renewal.DisposeAsync().ConfigureAwait(false);
        }
        if (_reportFlush is not null)
        {
            await _reportFlush.DisposeAsync().ConfigureAwait(false);
        }
        FlushReports(force: true);
        await AwaitReleasesAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _renewal?.Dispose();
        _reportFlush?.Dispose();
    }

    public async ValueTask<IProxyWatch> OpenAsync(ProxyNode node, CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            _ready = await grains.GetGrain<IMeshGrain>(MeshKey.Default).IsReadyAsync().ConfigureAwait(false);
            if (!_ready)
            {
                // an empty or partial SotW LDS/CDS would delete config on the client.
                throw new RpcException(new Status(StatusCode.Unavailable, "control plane is still loading its initial configuration; retry shortly"));
            }
        }
        await EnsureRolloutsAsync().ConfigureAwait(false);
        var statusShard = grains.GetGrain<IProxyStatusGrain>(ProxyStatusShards.Of(node.Id));
        TellConnected(new ProxyRegistration(node.Id, node.Kind, node.Namespace, node.WorkloadName, node.IpAddress, node.Labels, gateway.Id));

        var key = WorkloadKey.From(node.Kind, node.Namespace, node.WorkloadName, node.Labels);
        GrainProxyWatch watch;
        WorkloadEntry workload;
        lock (_lock)
        {
            if (!_workloads.TryGetValue(key, out workload!))
            {
                workload = new WorkloadEntry(key, new WorkloadIdentity(node.Kind, node.Namespace, node.WorkloadName, node.Labels));
                _workloads[key] = workload;
                workload.Loading = LoadWorkloadAsync(workload);
            }
            watch = new GrainProxyWatch(this, node, workload, statusShard);
            _watches.Add(watch);
            watch.SetCohort(CohortOf(watch));
            workload.Watches.Add(watch);
        }
        try
        {
            await workload.Loading!.WaitAsync(cancellationToken).ConfigureAwait(false);
            var scope = AttachScope(watch);
            await scope.Loading!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseAsync(watch).ConfigureAwait(false); // the client went away while its config loaded
            throw;
        }
        UpdateHosts(watch);
        LogConnected(logger, node.Id, node.Kind, watch.ScopeKey);
        return watch;
    }

    public Task OnResourcesChangedAsync(ResourceChange change)
    {
        List<GrainProxyWatch> affected;
        List<ResourceId> ids;
        lock (_lock)
        {
            if (!_services.TryGetValue(change.Owner, out var entry) || entry.Resources is null)
            {
                return Task.CompletedTask;
            }
            var r = entry.Resources.ToBuilder();
            foreach (var u in change.Updated)
            {
                r[ResourceId.Of(u)] = u;
            }
            foreach (var id in change.Removed)
            {
                r.Remove(id);
            }
            entry.Resources = r.ToImmutable();
            affected = [.. entry.Watches];
            ids = [.. change.Updated.Select(ResourceId.Of).Concat(change.Removed).Select(id => id.Base).Distinct()];
            // Under the lock, with the new resources: a stream that joins the entry after it must
            // not find a resolution made from the old ones in its scope's cache (nothing would wake it).
            InvalidateResolutions(affected, ids);
        }
        var memo = new PatchMemo();
        foreach (var w in affected)
        {
            w.OnChanged(ids, scopeChanged: false, memo);
        }
        return Task.CompletedTask;
    }

    public Task OnScopeChangedAsync(ScopeSnapshot snapshot)
    {
        List<GrainProxyWatch> affected;
        ScopeChange changed;
        lock (_lock)
        {
            if (!_scopes.TryGetValue(snapshot.ScopeKey, out var entry))
            {
                return Task.CompletedTask;
            }
            changed = entry.Update(snapshot);
            affected = [.. entry.Watches];
        }
        if (changed.Types == 0)
        {
            return Task.CompletedTask; // e.g. a diagnostics-only change, or a renewal's re-fetch
        }
        // The scope's streams patch the changed names into their sets, each patch made once for all of them.
        var memo = new PatchMemo();
        foreach (var w in affected)
        {
            UpdateHosts(w);
            w.OnScopeChanged(changed, memo);
        }
        return Task.CompletedTask;
    }

    public Task OnWorkloadChangedAsync(WorkloadSnapshot snapshot)
    {
        List<GrainProxyWatch> affected;
        WorkloadSnapshot? old;
        lock (_lock)
        {
            if (!_workloads.TryGetValue(snapshot.WorkloadKey, out var entry))
            {
                return Task.CompletedTask;
            }
            old = entry.Snapshot;
            entry.Snapshot = snapshot;
            // Streams still connecting attach to the scope the latest snapshot names.
            affected = [.. entry.Watches.Where(w => w.Scope is not null)];
        }
        var changed = WorkloadChangedTypes(old, snapshot);
        foreach (var w in affected)
        {
            var before = w.Scope;
            var scope = AttachScope(w);
            UpdateHosts(w);
            w.OnScopeChanged(ReferenceEquals(before, scope) ? changed : ResolutionCache.AllTypes);
            if (old?.DependencyFence != snapshot.DependencyFence)
            {
                RecordProxylessDependencies(w); // its fence may arrive after its subscription
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The types a workload's new snapshot changes for its streams on the same scope: its inbound listeners (LDS) and clusters (CDS).</summary>
    private static int WorkloadChangedTypes(WorkloadSnapshot? old, WorkloadSnapshot fresh)
    {
        if (old is null || old.Ready != fresh.Ready)
        {
            return ResolutionCache.AllTypes;
        }
        var changed = 0;
        if (!ScopeIndex.SameVersions(old.Listeners, fresh.Listeners))
        {
            changed |= ResolutionCache.Bit(Model.Translation.TypeUrls.Listener);
        }
        if (!ScopeIndex.SameVersions(old.Clusters, fresh.Clusters))
        {
            changed |= ResolutionCache.Bit(Model.Translation.TypeUrls.Cluster);
        }
        return changed;
    }

    internal ServiceEntry? GetService(string host) => _services.GetValueOrDefault(host);

    /// <summary>A service these streams hold changed (already applied): their scopes' shared resolutions of the changed types are stale.</summary>
    private static void InvalidateResolutions(List<GrainProxyWatch> affected, IReadOnlyList<ResourceId> changed)
    {
        var types = 0;
        foreach (var id in changed)
        {
            types |= id.Name == "*" ? ResolutionCache.AllTypes : ResolutionCache.Bit(id.TypeUrl);
        }
        ScopeEntry? last = null;
        foreach (var w in affected)
        {
            if (w.Scope is { } scope && !ReferenceEquals(scope, last))
            {
                scope.Resolutions.Invalidate(types); // repeated for a scope whose streams interleave: harmless
                last = scope;
            }
        }
    }

    /// <summary>
    /// Puts the stream on the scope its workload's snapshot names, acquiring that scope's entry
    /// (and starting its load) and letting go of the one it was on, if another.
    /// </summary>
    private ScopeEntry AttachScope(GrainProxyWatch watch)
    {
        string? dropScope = null;
        ScopeEntry scope;
        ScopeEntry? old;
        lock (_lock)
        {
            var identity = watch.Workload.Snapshot?.Scope
                ?? throw new InvalidOperationException($"workload {watch.Workload.Key} loaded without a scope");
            var key = ScopeKey.From(identity);
            if (watch.Scope is { } current && current.Key == key)
            {
                return current;
            }
            if (!_scopes.TryGetValue(key, out scope!))
            {
                scope = new ScopeEntry(key, identity);
                _scopes[key] = scope;
                scope.Loading = LoadScopeAsync(scope);
            }
            scope.Watches.Add(watch);
            old = watch.Scope;
            watch.SetScope(scope);
            if (old is not null && old.Watches.Remove(watch) && old.Watches.Count == 0)
            {
                _scopes.Remove(old.Key);
                old.Released = true;
                dropScope = old.Key;
            }
        }
        if (old is not null)
        {
            LogMoved(logger, watch.Node.Id, watch.Workload.Key, scope.Key);
        }
        if (dropScope is not null)
        {
            _ = UnsubscribeInOrder(ScopeOrderKey(dropScope), () => grains.GetGrain<IScopeGrain>(dropScope).UnsubscribeAsync(Self));
        }
        return scope;
    }

    /// <summary>Acquires service entries the watch newly needs and releases those it no longer does.</summary>
    internal void UpdateHosts(GrainProxyWatch watch)
    {
        var wanted = watch.ComputeHosts();
        if (ReferenceEquals(wanted, watch.Hosts))
        {
            return; // the usual case (every ACK asks): the scope's shared set, already held; no lock taken
        }
        var toLoad = new List<ServiceEntry>();
        var toDrop = new List<string>();
        lock (_lock)
        {
            if (!_watches.Contains(watch))
            {
                return; // released (a notification raced the stream's end): hold nothing for it
            }
            var current = watch.Hosts;
            if (ReferenceEquals(wanted, current))
            {
                return; // the usual case: a stream of a scope asks again for the scope's shared set
            }
            foreach (var host in wanted.Except(current))
            {
                if (!_services.TryGetValue(host, out var entry))
                {
                    entry = new ServiceEntry(host) { Requested = time.GetTimestamp() };
                    _services[host] = entry;
                    toLoad.Add(entry);
                }
                entry.Watches.Add(watch);
            }
            foreach (var host in current.Except(wanted))
            {
                if (_services.TryGetValue(host, out var entry) && entry.Watches.Remove(watch) && entry.Watches.Count == 0)
                {
                    _services.TryRemove(host, out _);
                    toDrop.Add(host);
                }
            }
            watch.SetHosts(wanted);
        }
        foreach (var e in toLoad)
        {
            _ = LoadServiceAsync(e);
        }
        foreach (var h in toDrop)
        {
            _ = UnsubscribeServiceInOrder(h);
        }
    }

    private IXdsGatewayObserver Self
    {
        get
        {
            if (_self is null)
            {
                lock (_lock)
                {
                    _self ??= grains.CreateObjectReference<IXdsGatewayObserver>(this);
                }
            }
            return _self;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} connected as {Kind}, scope {Scope}")]
    private static partial void LogConnected(ILogger logger, string proxyId, Model.Translation.ProxyKind kind, string? scope);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} of workload {Workload} moved to scope {Scope}")]
    private static partial void LogMoved(ILogger logger, string proxyId, string workload, string scope);
}
