using System.Collections.Immutable;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>Fetching workloads, scopes and services from the grains, retrying, and renewing the leases.</summary>
public sealed partial class GrainConfigWatcher
{
    /// <summary>First and longest wait between attempts to fetch a workload or scope that failed (e.g. a grain call timed out).</summary>
    internal static readonly TimeSpan RetryMin = TimeSpan.FromMilliseconds(250);
    internal static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(10);

    private Task LoadWorkloadAsync(WorkloadEntry entry) => RetryAsync("workload", entry.Key, () => entry.Released, async () =>
    {
        await AfterUnsubscribeAsync(WorkloadOrderKey(entry.Key)).ConfigureAwait(false);
        var snapshot = await grains.GetGrain<IWorkloadGrain>(entry.Key).SubscribeAsync(Self, entry.Identity).ConfigureAwait(false);
        await OnWorkloadChangedAsync(snapshot).ConfigureAwait(false);
    });

    private Task LoadScopeAsync(ScopeEntry entry) => RetryAsync("scope", entry.Key, () => entry.Released, async () =>
    {
        await AfterUnsubscribeAsync(ScopeOrderKey(entry.Key)).ConfigureAwait(false);
        var snapshot = await grains.GetGrain<IScopeGrain>(entry.Key).SubscribeAsync(Self, entry.Identity).ConfigureAwait(false);
        await OnScopeChangedAsync(snapshot).ConfigureAwait(false);
    });

    /// <summary>
    /// Runs <paramref name="load"/> until it succeeds or the entry is released, backing off: a slow
    /// or failing grain delays a stream's config but never ends the stream (its client retries are
    /// the expensive path: every reconnect loads again). Failures are counted and logged.
    /// </summary>
    private async Task RetryAsync(string grain, string key, Func<bool> released, Func<Task> load)
    {
        var delay = RetryMin;
        var started = time.GetTimestamp();
        while (!released())
        {
            try
            {
                await load().ConfigureAwait(false);
                metrics.OnGrainLoaded(grain, time.GetElapsedTime(started).TotalSeconds);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                metrics.OnGrainLoadFailure(grain);
                LogLoadRetry(logger, grain, key, delay, ex);
                await Task.Delay(delay, time).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
            }
        }
    }

    private async Task LoadServiceAsync(ServiceEntry entry)
    {
        try
        {
            await AfterUnsubscribeAsync(entry.Host).ConfigureAwait(false);
            var snapshot = await grains.GetGrain<IServiceGrain>(ServiceKey.From(entry.Host)).SubscribeAsync(Self).ConfigureAwait(false);
            var first = !entry.Loaded;
            ApplyServiceSnapshot(entry, snapshot);
            if (first)
            {
                // Since the first stream needed it: a failed first fetch is retried by the lease renewal, and counts.
                metrics.OnGrainLoaded("service", time.GetElapsedTime(entry.Requested).TotalSeconds);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.OnGrainLoadFailure("service");
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
            var fresh = snapshot.Resources.ToImmutableDictionary(ResourceId.Of);
            var old = entry.Resources ?? ImmutableDictionary<ResourceId, Model.Translation.XdsResource>.Empty;
            // A candidate variant that changed wakes the streams wanting the resource it is a variant of.
            changed = [.. fresh.Where(kv => !old.TryGetValue(kv.Key, out var o) || o.Version != kv.Value.Version || o.Rollout != kv.Value.Rollout).Select(kv => kv.Key)
                .Concat(old.Keys.Where(k => !fresh.ContainsKey(k))).Select(k => k.Base).Distinct()];
            var wasLoaded = entry.Loaded;
            entry.Resources = fresh;
            affected = [.. entry.Watches];
            if (!wasLoaded)
            {
                // First load also completes wildcard CDS sets that were waiting for this service.
                changed.Add(new ResourceId(Model.Translation.TypeUrls.Cluster, "*"));
            }
            // Under the lock, with the new resources: a stream that joins the entry after it must not
            // find a set resolved before the load (incomplete) in its scope's cache, since nothing
            // would wake it again. Four gRPC clients connecting at once hit exactly that: one waited
            // for its listener forever.
            if (changed.Count > 0)
            {
                InvalidateResolutions(affected, changed);
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

    /// <summary>
    /// Renews every subscription after <paramref name="delay"/> (e.g. when a silo left the cluster:
    /// its grains re-activate elsewhere, and a notification lost with it is repaired by the re-fetch).
    /// </summary>
    public void RenewSoon(TimeSpan delay)
    {
        LogRenewSoon(logger, delay);
        _ = Task.Delay(delay, time).ContinueWith(_ => RenewAsync(TimeSpan.Zero), TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Lease renewal: re-subscribe everything, sending the version held of each workload, scope and
    /// service; what differs (a notification lost, R-08) comes back whole and is applied. The calls
    /// are spread evenly over <paramref name="spread"/> (the periodic renewal: half a lease period),
    /// so a gateway holding 15,000 leases makes about 500 calls a second for half a minute instead
    /// of all of them in a burst that took both cores for seconds; a renewal of fewer than
    /// <see cref="RenewalPace.MinPaced"/> calls, and a repair after a membership change
    /// (<see cref="RenewSoon"/>), go at once.
    /// </summary>
    private async Task RenewAsync(TimeSpan spread)
    {
        List<WorkloadEntry> workloads;
        List<ScopeEntry> scopes;
        List<ServiceEntry> services;
        lock (_lock)
        {
            workloads = [.. _workloads.Values.Where(w => w.Snapshot is not null)];
            scopes = [.. _scopes.Values.Where(s => s.Snapshot is not null)];
            services = [.. _services.Values];
        }
        await RenewRolloutsAsync().ConfigureAwait(false);
        var pace = new RenewalPace(time, spread, workloads.Count + scopes.Count + services.Count);
        foreach (var w in workloads)
        {
            await pace.NextAsync().ConfigureAwait(false);
            try
            {
                if (await grains.GetGrain<IWorkloadGrain>(w.Key).RenewAsync(Self, w.Identity, w.Snapshot!.Version).ConfigureAwait(false) is { } snapshot)
                {
                    metrics.OnRenewalRefetch("workload");
                    await OnWorkloadChangedAsync(snapshot).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLoadFailed(logger, w.Key, ex);
            }
        }
        foreach (var s in scopes)
        {
            await pace.NextAsync().ConfigureAwait(false);
            try
            {
                if (await grains.GetGrain<IScopeGrain>(s.Key).RenewAsync(Self, s.Identity, s.Snapshot!.Version).ConfigureAwait(false) is { } snapshot)
                {
                    metrics.OnRenewalRefetch("scope");
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
            await pace.NextAsync().ConfigureAwait(false);
            await RenewServiceAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Renews a service's lease, fetching its resources only when they differ from what the entry
    /// holds: a gateway of 10,000 services re-fetched every one each minute (tens of MB, one
    /// dictionary each), almost always unchanged.
    /// </summary>
    private async Task RenewServiceAsync(ServiceEntry entry)
    {
        if (entry.Resources is not { } held)
        {
            await LoadServiceAsync(entry).ConfigureAwait(false); // never loaded: fetch it whole
            return;
        }
        try
        {
            var grain = grains.GetGrain<IServiceGrain>(ServiceKey.From(entry.Host));
            if (await grain.RenewAsync(Self, entry.VersionOf(held)).ConfigureAwait(false) is { } snapshot)
            {
                metrics.OnRenewalRefetch("service");
                ApplyServiceSnapshot(entry, snapshot);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.OnGrainLoadFailure("service");
            LogLoadFailed(logger, entry.Host, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching {Grain} {Key} failed; retrying in {Delay} (the proxies waiting for it stay connected)")]
    private static partial void LogLoadRetry(ILogger logger, string grain, string key, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching {Owner} from the grains failed; the next lease renewal retries")]
    private static partial void LogLoadFailed(ILogger logger, string owner, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster membership changed; re-fetching every subscription in {Delay}")]
    private static partial void LogRenewSoon(ILogger logger, TimeSpan delay);
}
