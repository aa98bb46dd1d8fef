using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Catalog;

/// <summary>
/// The catalog's subscriptions: to the mesh grain (the namespace list) and to every namespace
/// grain, leased and renewed every <see cref="GrainLeases.Renew"/>; every renewal re-fetches and
/// applies what differs, and a silo leaving the cluster triggers one soon, so a
/// notification lost with a dead silo is repaired.
/// </summary>
internal sealed partial class SiloCatalog : ICatalogObserver, IDisposable
{
    /// <summary>How long after a silo leaves the cluster the catalog re-fetches everything.</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stopping = new();
    private ICatalogObserver? _self;
    private Task? _loading;
    private ITimer? _renewal;

    /// <summary>Completes once the catalog holds the mesh (first load; retried until it succeeds).</summary>
    public Task EnsureLoadedAsync()
    {
        lock (_gate)
        {
            // Off the calling grain's scheduler: observer references are created from non-grain code.
            return _loading ??= Task.Run(LoadAsync);
        }
    }

    public Task OnNamespacesChangedAsync(ImmutableArray<string> namespaces)
    {
        _ = ApplyNamespaceListAsync(namespaces);
        return Task.CompletedTask;
    }

    public Task OnNamespaceChangedAsync(NamespaceSnapshot snapshot)
    {
        Tell(ApplyNamespace(snapshot));
        return Task.CompletedTask;
    }

    public Task OnLearnedChangedAsync(string ns, string service, ImmutableSortedSet<string> hosts, long sequence)
    {
        Tell(ApplyLearned(ns, service, hosts, sequence));
        return Task.CompletedTask;
    }

    public Task OnServiceViewChangedAsync(string ns, ServiceScopeView view)
    {
        Tell(ApplyView(ns, view));
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _renewal?.Dispose();
        lock (_gate)
        {
            _deadlineTimer?.Dispose();
        }
        _stopping.Dispose();
    }

    private async Task LoadAsync()
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                _self ??= _grains.CreateObjectReference<ICatalogObserver>(this);
                await RenewAsync().ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                LogLoadFailed(_logger, delay, ex);
                await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
        _renewal = _time.CreateTimer(_ => _ = RenewSafelyAsync(), null, GrainLeases.Renew, GrainLeases.Renew);
        _ = WatchMembershipAsync();
        var (namespaces, services, views, _, _) = Counts;
        LogLoaded(_logger, namespaces, services, views);
    }

    /// <summary>Re-subscribes to the mesh and every namespace and applies what they hold now.</summary>
    private async Task RenewAsync()
    {
        var self = _self!;
        var namespaces = await _grains.GetGrain<IMeshGrain>(MeshKey.Default).SubscribeAsync(self).ConfigureAwait(false);
        await ApplyNamespaceListAsync(namespaces, resubscribeAll: true).ConfigureAwait(false);
    }

    private async Task RenewSafelyAsync()
    {
        try
        {
            await RenewAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The silo is shutting down (its services are disposed): nothing left to keep current.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRenewFailed(_logger, ex);
        }
    }

    /// <summary>Subscribes to namespaces new to the list (all of them on a renewal) and drops the ones gone from it.</summary>
    private async Task ApplyNamespaceListAsync(ImmutableArray<string> namespaces, bool resubscribeAll = false)
    {
        List<string> added;
        List<string> removed;
        lock (_gate)
        {
            var list = namespaces.ToImmutableSortedSet(StringComparer.Ordinal);
            added = [.. list.Where(n => resubscribeAll || !_namespaceList.Contains(n))];
            removed = [.. _namespaceList.Where(n => !list.Contains(n))];
            _namespaceList = list;
        }
        foreach (var ns in removed)
        {
            Tell(ApplyNamespace(new NamespaceSnapshot(NamespaceConfig.Empty(ns), [])));
            try
            {
                await _grains.GetGrain<INamespaceGrain>(ns).UnsubscribeAsync(_self!).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRenewFailed(_logger, ex); // its lease expires on its own
            }
        }
        var fetchedAt = Stamp;
        var snapshots = await Task.WhenAll(added.Select(ns => _grains.GetGrain<INamespaceGrain>(ns).SubscribeAsync(_self!))).ConfigureAwait(false);
        foreach (var snapshot in snapshots)
        {
            ApplyFetched(snapshot, fetchedAt);
        }
    }

    /// <summary>
    /// Applies a namespace's snapshot fetched (a subscription's answer) when the catalog's stamp was
    /// <paramref name="fetchedAt"/>; what notifications brought since is newer and kept.
    /// </summary>
    internal void ApplyFetched(NamespaceSnapshot snapshot, long fetchedAt) => Tell(ApplyNamespace(snapshot, fetchedAt));

    /// <summary>When a silo leaves the cluster, re-fetch everything shortly after (its grains re-activate elsewhere).</summary>
    private async Task WatchMembershipAsync()
    {
        if (_services.GetService<IClusterMembershipService>() is not { } membership)
        {
            return;
        }
        var dead = 0;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token).ConfigureAwait(false))
            {
                var now = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Dead);
                if (now > dead)
                {
                    LogRenewSoon(_logger, SettleDelay);
                    _ = Task.Delay(SettleDelay, _time, _stopping.Token).ContinueWith(_ => RenewSafelyAsync(), TaskScheduler.Default).Unwrap();
                }
                dead = now;
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo catalog loaded: {Namespaces} namespaces, {Services} services, {Views} service views")]
    private static partial void LogLoaded(ILogger logger, int namespaces, int services, int views);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo catalog could not load the mesh; retrying in {Delay}")]
    private static partial void LogLoadFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo catalog renewal failed; the next renewal retries")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "A silo left the cluster; the silo catalog re-fetches everything in {Delay}")]
    private static partial void LogRenewSoon(ILogger logger, TimeSpan delay);
}
