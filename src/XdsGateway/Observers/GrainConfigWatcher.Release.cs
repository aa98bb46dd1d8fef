using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Letting go of streams: local bookkeeping at once, grain calls in the background, and per grain
/// key in order with any later subscription (else the grain could see the unsubscribe last and
/// drop the new subscriber).
/// </summary>
public sealed partial class GrainConfigWatcher
{
    /// <summary>On stop, how long released streams' grain calls may still run before the process goes on without them.</summary>
    internal static readonly TimeSpan ReleaseGrace = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _releases = new();

    // Per grain key, the unsubscribe still in flight: a new subscription to it waits for it first.
    private readonly Dictionary<string, Task> _unsubscribing = new(StringComparer.Ordinal);

    /// <summary>Grain calls of released streams still running (they are best effort: leases expire on their own).</summary>
    internal int PendingReleases => _releases.Count;

    /// <summary>
    /// Forgets a stream at once and tells the grains in the background: a stream's end (and a
    /// drain's) never waits for grain calls, however many services the stream held.
    /// </summary>
    internal ValueTask ReleaseAsync(GrainProxyWatch watch)
    {
        var dropServices = new List<string>();
        string? dropScope = null;
        string? dropWorkload = null;
        lock (_lock)
        {
            if (!_watches.Remove(watch))
            {
                return ValueTask.CompletedTask; // already released
            }
            foreach (var host in watch.Hosts)
            {
                if (_services.TryGetValue(host, out var entry) && entry.Watches.Remove(watch) && entry.Watches.Count == 0)
                {
                    _services.TryRemove(host, out _);
                    dropServices.Add(host);
                }
            }
            watch.SetHosts(Protocol.NameSets.Empty);
            if (watch.Scope is { } scope && scope.Watches.Remove(watch) && scope.Watches.Count == 0)
            {
                _scopes.Remove(scope.Key);
                scope.Released = true;
                dropScope = scope.Key;
            }
            if (watch.Workload.Watches.Remove(watch) && watch.Workload.Watches.Count == 0)
            {
                _workloads.Remove(watch.Workload.Key);
                watch.Workload.Released = true;
                dropWorkload = watch.Workload.Key;
            }
        }
        LogDisconnected(logger, watch.Node.Id);
        Track(TellGrainsReleasedAsync(watch, dropServices, dropScope, dropWorkload));
        return ValueTask.CompletedTask;
    }

    private async Task TellGrainsReleasedAsync(GrainProxyWatch watch, List<string> dropServices, string? dropScope, string? dropWorkload)
    {
        var unsubscribes = dropServices.Select(UnsubscribeServiceInOrder).ToList();
        if (dropScope is not null)
        {
            unsubscribes.Add(UnsubscribeInOrder(ScopeOrderKey(dropScope), () => grains.GetGrain<IScopeGrain>(dropScope).UnsubscribeAsync(Self)));
        }
        if (dropWorkload is not null)
        {
            unsubscribes.Add(UnsubscribeInOrder(WorkloadOrderKey(dropWorkload), () => grains.GetGrain<IWorkloadGrain>(dropWorkload).UnsubscribeAsync(Self)));
        }
        try
        {
            await Task.WhenAll(unsubscribes).ConfigureAwait(false);
            // The last report first (it may carry the connection itself), then the disconnect.
            if (_reports.Take(watch.Node.Id) is { IsEmpty: false } last)
            {
                _ = watch.StatusShard.ReportAsync([new NodeReport(watch.Node.Id, last)]);
            }
            await watch.StatusShard.DisconnectAsync(watch.Node.Id, gateway.Id).ConfigureAwait(false);
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

    private async Task AwaitReleasesAsync(CancellationToken cancellationToken)
    {
        var releases = _releases.Keys.ToList();
        if (releases.Count == 0)
        {
            return;
        }
        try
        {
            await Task.WhenAll(releases).WaitAsync(ReleaseGrace, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogReleasesAbandoned(logger, _releases.Count);
        }
    }

    private static string ScopeOrderKey(string scope) => "scope:" + scope;

    private static string WorkloadOrderKey(string workload) => "workload:" + workload;

    private Task UnsubscribeServiceInOrder(string host) =>
        UnsubscribeInOrder(host, () => grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UnsubscribeAsync(Self));

    /// <summary>Runs an unsubscribe (errors logged, never thrown), recorded so that a new subscription to the same key goes after it.</summary>
    private Task UnsubscribeInOrder(string orderKey, Func<Task> unsubscribe)
    {
        lock (_lock)
        {
            var previous = _unsubscribing.GetValueOrDefault(orderKey) ?? Task.CompletedTask;
            var task = previous.ContinueWith(_ => SafelyAsync(orderKey, unsubscribe), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            _unsubscribing[orderKey] = task;
            _ = task.ContinueWith(
                t =>
                {
                    lock (_lock)
                    {
                        if (_unsubscribing.GetValueOrDefault(orderKey) == t)
                        {
                            _unsubscribing.Remove(orderKey);
                        }
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }

    private async Task SafelyAsync(string owner, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReleaseFailed(logger, owner, ex);
        }
    }

    /// <summary>Waits for an unsubscribe of the same grain still in flight, so the new subscription lands after it.</summary>
    private Task AfterUnsubscribeAsync(string orderKey)
    {
        lock (_lock)
        {
            return _unsubscribing.GetValueOrDefault(orderKey) ?? Task.CompletedTask;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} released streams' grain calls still running; the grains' leases expire on their own")]
    private static partial void LogReleasesAbandoned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected")]
    private static partial void LogDisconnected(ILogger logger, string proxyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing {Owner} failed; its lease expires on its own")]
    private static partial void LogReleaseFailed(ILogger logger, string owner, Exception exception);
}
