using System.Collections.Immutable;
using Grpc.Core;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// The grain-backed <see cref="IConfigWatcher"/>. One observer reference per gateway process is
/// subscribed to the scopes and services that local streams need (each once, however many
/// streams); notifications update the shared entries and wake only the streams that want a
/// changed name. Subscriptions are leased and renewed, and every renewal re-fetches the current
/// resources, so a notification lost while a silo restarted is repaired.
/// </summary>
public sealed partial class GrainConfigWatcher(
    IGrainFactory grains,
    GatewayIdentity gateway,
    TimeProvider time,
    XdsMetrics metrics,
    ILogger<GrainConfigWatcher> logger) : IConfigWatcher, IXdsGatewayObserver, IHostedService, IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ScopeEntry> _scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);
    private readonly HashSet<GrainProxyWatch> _watches = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _releases = new();

    // Per host, the unsubscribe still in flight: a new subscription to the host waits for it, or
    // the grain could see the two calls in the other order and drop the new subscriber.
    private readonly Dictionary<string, Task> _unsubscribing = new(StringComparer.Ordinal);
    private IXdsGatewayObserver? _self;
    private readonly ProxyReports _reports = new(time);

    /// <summary>Equal resolved sets shared across this gateway's streams.</summary>
    internal ResolutionInterner Interner { get; } = new();
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
        _renewal = time.CreateTimer(_ => _ = RenewAsync(), null, GrainLeases.Renew, GrainLeases.Renew);
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
        var releases = _releases.Keys.ToList();
        if (releases.Count > 0)
        {
            try
            {
                await Task.WhenAll(releases).WaitAsync(ReleaseGrace, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogReleasesAbandoned(logger, _releases.Count);
            }
        }
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
        var registration = new ProxyRegistration(node.Id, node.Kind, node.Namespace, node.WorkloadName, node.IpAddress, node.Labels, gateway.Id);
        var proxyGrain = grains.GetGrain<IProxyGrain>(node.Id);
        var assignment = await proxyGrain.ConnectAsync(registration).ConfigureAwait(false);

        ScopeEntry? scope = null;
        if (assignment is { ScopeKey: { } key, Scope: { } identity })
        {
            lock (_lock)
            {
                if (!_scopes.TryGetValue(key, out scope))
                {
                    scope = new ScopeEntry(key, identity);
                    _scopes[key] = scope;
                    scope.Loading = LoadScopeAsync(scope);
                }
            }
        }
        var watch = new GrainProxyWatch(this, node, scope, proxyGrain);
        lock (_lock)
        {
            _watches.Add(watch);
            scope?.Watches.Add(watch);
        }
        if (scope?.Loading is { } loading)
        {
            await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        UpdateHosts(watch);
        LogConnected(logger, node.Id, node.Kind, scope?.Key);
        return watch;
    }

    public Task OnResourcesChangedAsync(ResourceChange change)
    {
        List<GrainProxyWatch> affected;
        lock (_lock)
        {
            if (!_services.TryGetValue(change.Owner, out var entry) || entry.Resources is null)
            {
                return Task.CompletedTask;
            }
            var r = entry.Resources.ToBuilder();
            foreach (var u in change.Updated)
            {
                r[new ResourceId(u.TypeUrl, u.Name)] = u;
            }
            foreach (var id in change.Removed)
            {
                r.Remove(id);
            }
            entry.Resources = r.ToImmutable();
            affected = [.. entry.Watches];
        }
        var ids = change.Updated.Select(u => new ResourceId(u.TypeUrl, u.Name)).Concat(change.Removed).ToList();
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
        lock (_lock)
        {
            if (!_scopes.TryGetValue(snapshot.ScopeKey, out var entry))
            {
                return Task.CompletedTask;
            }
            entry.Snapshot = snapshot;
            affected = [.. entry.Watches];
        }
        foreach (var w in affected)
        {
            UpdateHosts(w);
            w.OnChanged([], scopeChanged: true);
        }
        return Task.CompletedTask;
    }

    internal ServiceEntry? GetService(string host)
    {
        lock (_lock)
        {
            return _services.GetValueOrDefault(host);
        }
    }

    /// <summary>Acquires service entries the watch newly needs and releases those it no longer does.</summary>
    internal void UpdateHosts(GrainProxyWatch watch)
    {
        var wanted = watch.ComputeHosts();
        var toLoad = new List<ServiceEntry>();
        var toDrop = new List<string>();
        lock (_lock)
        {
            if (!_watches.Contains(watch))
            {
                return; // released (a notification raced the stream's end): hold nothing for it
            }
            var current = watch.Hosts;
            foreach (var host in wanted.Except(current))
            {
                if (!_services.TryGetValue(host, out var entry))
                {
                    entry = new ServiceEntry(host);
                    _services[host] = entry;
                    toLoad.Add(entry);
                }
                entry.Watches.Add(watch);
            }
            foreach (var host in current.Except(wanted))
            {
                if (_services.TryGetValue(host, out var entry) && entry.Watches.Remove(watch) && entry.Watches.Count == 0)
                {
                    _services.Remove(host);
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

    /// <summary>Unsubscribes from a host's grain, recorded so that a new subscription to it goes after.</summary>
    private Task UnsubscribeServiceInOrder(string host)
    {
        lock (_lock)
        {
            var previous = _unsubscribing.GetValueOrDefault(host) ?? Task.CompletedTask;
            var task = previous.ContinueWith(_ => UnsubscribeServiceAsync(host), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            _unsubscribing[host] = task;
            _ = task.ContinueWith(
                t =>
                {
                    lock (_lock)
                    {
                        if (_unsubscribing.GetValueOrDefault(host) == t)
                        {
                            _unsubscribing.Remove(host);
                        }
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }

    /// <summary>
    /// Forgets a stream at once and tells the grains in the background: a stream's end (and a
    /// drain's) never waits for grain calls, however many services the stream held.
    /// </summary>
    internal ValueTask ReleaseAsync(GrainProxyWatch watch)
    {
        var dropServices = new List<string>();
        string? dropScope = null;
        lock (_lock)
        {
            _watches.Remove(watch);
            foreach (var host in watch.Hosts)
            {
                if (_services.TryGetValue(host, out var entry) && entry.Watches.Remove(watch) && entry.Watches.Count == 0)
                {
                    _services.Remove(host);
                    dropServices.Add(host);
                }
            }
            watch.SetHosts(NameSets.Empty);
            if (watch.Scope is { } scope && scope.Watches.Remove(watch) && scope.Watches.Count == 0)
            {
                _scopes.Remove(scope.Key);
                dropScope = scope.Key;
            }
        }
        LogDisconnected(logger, watch.Node.Id);
        Track(TellGrainsReleasedAsync(watch, dropServices, dropScope));
        return ValueTask.CompletedTask;
    }

    private async Task TellGrainsReleasedAsync(GrainProxyWatch watch, List<string> dropServices, string? dropScope)
    {
        try
        {
            await Task.WhenAll(dropServices.Select(UnsubscribeServiceInOrder)).ConfigureAwait(false);
            if (dropScope is not null)
            {
                await grains.GetGrain<IScopeGrain>(dropScope).UnsubscribeAsync(Self).ConfigureAwait(false);
            }
            if (_reports.Take(watch.Node.Id) is { IsEmpty: false } last)
            {
                _ = watch.Grain.ReportAsync(last);
            }
            await watch.Grain.DisconnectAsync(gateway.Id).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReleaseFailed(logger, watch.Node.Id, ex);
        }
    }

    private void Track(Task release)
    {
        _releases.TryAdd(release, 0);
        _ = release.ContinueWith(t => _releases.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Grain calls of released streams still running (they are best effort: leases expire on their own).</summary>
    internal int PendingReleases => _releases.Count;

    /// <summary>On stop, how long released streams' grain calls may still run before the process goes on without them.</summary>
    internal static readonly TimeSpan ReleaseGrace = TimeSpan.FromSeconds(2);

    /// <summary>How often batched sent/ACK/NACK events go to the ProxyGrains (see <see cref="ProxyReports"/>).</summary>
    internal static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>Reports wait until no event was added for this long: the pushes producing them are over.</summary>
    internal static readonly TimeSpan ReportQuiet = TimeSpan.FromMilliseconds(300);

    /// <summary>While pushes never pause, reports still go at least this often.</summary>
    internal static readonly TimeSpan ReportMaxDelay = TimeSpan.FromSeconds(5);

    internal void Report(GrainProxyWatch watch, ProxyEvent e) => _reports.Add(watch.Node.Id, e, watch.Grain);

    /// <summary>
    /// One one-way call per node with events since the last flush, once the gateway's pushes have
    /// paused (or <see cref="ReportMaxDelay"/> passed); <paramref name="force"/> on shutdown.
    /// </summary>
    private void FlushReports(bool force = false)
    {
        if (!force && !_reports.IsDue(ReportQuiet, ReportMaxDelay))
        {
            return;
        }
        var batches = _reports.TakeAll();
        foreach (var (nodeId, target, events) in batches)
        {
            try
            {
                _ = (target ?? grains.GetGrain<IProxyGrain>(nodeId)).ReportAsync(events);
            }
            catch (Exception ex) when (ex is OrleansException or InvalidOperationException)
            {
                // The cluster client is gone (shutdown); status reports are best effort.
                LogReportFailed(logger, nodeId, ex);
                return;
            }
        }
        metrics.OnStatusReports(batches.Count);
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

    private async Task LoadScopeAsync(ScopeEntry entry)
    {
        var snapshot = await grains.GetGrain<IScopeGrain>(entry.Key).SubscribeAsync(Self, entry.Identity).ConfigureAwait(false);
        await OnScopeChangedAsync(snapshot).ConfigureAwait(false);
    }

    private async Task LoadServiceAsync(ServiceEntry entry)
    {
        try
        {
            Task? unsubscribing;
            lock (_lock)
            {
                unsubscribing = _unsubscribing.GetValueOrDefault(entry.Host);
            }
            if (unsubscribing is not null)
            {
                await unsubscribing.ConfigureAwait(false);
            }
            var snapshot = await grains.GetGrain<IServiceGrain>(ServiceKey.From(entry.Host)).SubscribeAsync(Self).ConfigureAwait(false);
            ApplyServiceSnapshot(entry, snapshot);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogLoadFailed(logger, entry.Host, ex);
        }
    }

    /// <summary>Replaces an entry's resources with a fresh snapshot and wakes streams wanting what differs.</summary>
    private void ApplyServiceSnapshot(ServiceEntry entry, ServiceSnapshot snapshot)
    {
        List<GrainProxyWatch> affected;
        List<ResourceId> changed;
        lock (_lock)
        {
            var fresh = snapshot.Resources.ToImmutableDictionary(r => new ResourceId(r.TypeUrl, r.Name));
            var old = entry.Resources ?? ImmutableDictionary<ResourceId, Model.Translation.XdsResource>.Empty;
            changed = [.. fresh.Where(kv => !old.TryGetValue(kv.Key, out var o) || o.Version != kv.Value.Version).Select(kv => kv.Key)
                .Concat(old.Keys.Where(k => !fresh.ContainsKey(k)))];
            var wasLoaded = entry.Loaded;
            entry.Resources = fresh;
            affected = [.. entry.Watches];
            if (!wasLoaded)
            {
                // First load also completes wildcard CDS sets that were waiting for this service.
                changed.Add(new ResourceId(Model.Translation.TypeUrls.Cluster, "*"));
            }
        }
        if (changed.Count == 0)
        {
            return; // a lease renewal's re-fetch of an unchanged service: nothing to wake
        }
        var scopeChanged = changed.Any(c => c.Name == "*");
        var memo = new PatchMemo();
        foreach (var w in affected)
        {
            w.OnChanged(changed, scopeChanged, memo);
        }
    }

    private async Task UnsubscribeServiceAsync(string host)
    {
        try
        {
            await grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UnsubscribeAsync(Self).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReleaseFailed(logger, host, ex);
        }
    }

    /// <summary>
    /// Renews every subscription after <paramref name="delay"/> (e.g. when a silo left the cluster:
    /// its grains re-activate elsewhere, and a notification lost with it is repaired by the re-fetch).
    /// </summary>
    public void RenewSoon(TimeSpan delay)
    {
        LogRenewSoon(logger, delay);
        _ = Task.Delay(delay, time).ContinueWith(_ => RenewAsync(), TaskScheduler.Default).Unwrap();
    }

    /// <summary>Lease renewal: re-subscribe everything and re-fetch current resources .</summary>
    private async Task RenewAsync()
    {
        List<ScopeEntry> scopes;
        List<ServiceEntry> services;
        lock (_lock)
        {
            scopes = [.. _scopes.Values];
            services = [.. _services.Values];
        }
        foreach (var s in scopes)
        {
            try
            {
                var snapshot = await grains.GetGrain<IScopeGrain>(s.Key).SubscribeAsync(Self, s.Identity).ConfigureAwait(false);
                if (snapshot.Version != s.Snapshot?.Version)
                {
                    await OnScopeChangedAsync(snapshot).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLoadFailed(logger, s.Key, ex);
            }
        }
        foreach (var e in services)
        {
            await LoadServiceAsync(e).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} released streams' grain calls still running; the grains' leases expire on their own")]
    private static partial void LogReleasesAbandoned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster membership changed; re-fetching every subscription in {Delay}")]
    private static partial void LogRenewSoon(ILogger logger, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} connected as {Kind}, scope {Scope}")]
    private static partial void LogConnected(ILogger logger, string proxyId, Model.Translation.ProxyKind kind, string? scope);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected")]
    private static partial void LogDisconnected(ILogger logger, string proxyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching {Owner} from the grains failed; the next lease renewal retries")]
    private static partial void LogLoadFailed(ILogger logger, string owner, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing {Owner} failed; its lease expires on its own")]
    private static partial void LogReleaseFailed(ILogger logger, string owner, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting sync status of {ProxyId} to its grain failed; status in the grains may lag until the cluster is reachable")]
    private static partial void LogReportFailed(ILogger logger, string proxyId, Exception exception);
}
