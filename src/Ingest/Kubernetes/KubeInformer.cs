using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using k8s;
using k8s.Autorest;
using Mesh.Ingest.Status;
using Microsoft.Extensions.Logging;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// The informer pattern for one kind, which KubernetesClient does not provide: list (paged), then
/// watch from the list's resourceVersion with bookmarks. A dropped watch resumes from the last
/// resourceVersion or bookmark after a jittered backoff, without a relist; 410 Gone (or an ERROR
/// event) relists and diffs against the cache, so deletions missed while disconnected are applied.
/// An object deleted and re-created under the same name is told apart by its UID. Only effective
/// changes reach the sink: an event whose content the mesh does not read (a Pod status heartbeat)
/// changes nothing. A kind the API server does not serve (Istio CRDs not installed) counts as
/// synced and empty, and is looked for again periodically. A list whose paging does not end
/// (<see cref="KubeListPager"/>) fails like a failed request: counted, logged, retried after the backoff.
/// </summary>
public sealed partial class KubeInformer
{
    private static readonly Counter<long> EventsCounter = IngestStatus.Meter.CreateCounter<long>("mesh_k8s_events", description: "Watch events received, by kind and type.");
    private static readonly Counter<long> ChangesCounter = IngestStatus.Meter.CreateCounter<long>("mesh_k8s_changes", description: "Effective object changes passed on, by kind and change (added/updated/deleted).");
    private static readonly Counter<long> ListsCounter = IngestStatus.Meter.CreateCounter<long>("mesh_k8s_lists", description: "Full lists, by kind and reason (initial, expired, error, not-served).");
    private static readonly Counter<long> WatchFailuresCounter = IngestStatus.Meter.CreateCounter<long>("mesh_k8s_watch_failures", description: "Watches that ended with an error, by kind and reason; each resumes or relists.");

    private readonly KubeKind _kind;
    private readonly IKubeApi _api;
    private readonly IKubeChangeSink _sink;
    private readonly KubeInformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string, string), KubeItem> _cache = [];
    // The rejected subset of the cache, kept as the cache changes: status is read on every apply,
    // and scanning 100,000 Pods for the few rejected objects each time would make it O(mesh).
    private readonly SortedDictionary<(string, string), KubeItem> _rejected = [];
    private readonly SortedDictionary<(string, string), ImmutableArray<Mesh.Model.Config.ConfigError>> _warned = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KubeKindStatus _status;

    public KubeInformer(KubeKind kind, IKubeApi api, IKubeChangeSink sink, KubeInformerOptions options, TimeProvider time, ILogger logger)
    {
        _kind = kind;
        _api = api;
        _sink = sink;
        _options = options;
        _time = time;
        _logger = logger;
        _status = new KubeKindStatus(kind.Name, null, true, false, 0, null, 0, 0, 0, 0, 0, 0, null, null, []);
    }

    public KubeKind Kind => _kind;

    /// <summary>Completes when the first full list of this kind is in the sink (or the kind is not served).</summary>
    public Task Synced => _synced.Task;

    public KubeKindStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status with
                {
                    Objects = _cache.Count,
                    Rejected = [.. _rejected.Values.SelectMany(i => i.Errors)],
                    Warnings = [.. _warned.Values.SelectMany(w => w)],
                };
            }
        }
    }

    /// <summary>The cached items (for tests and the source's status).</summary>
    public IReadOnlyCollection<KubeItem> Items
    {
        get
        {
            lock (_gate)
            {
                return [.. _cache.Values];
            }
        }
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        string? version = null;
        var reason = "initial";
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    (version, resourceVersion) = await ListAsync(reason, cancellationToken).ConfigureAwait(false);
                    if (version is null)
                    {
                        NotServed();
                        await Task.Delay(_options.NotServedRetry, _time, cancellationToken).ConfigureAwait(false);
                        reason = "not-served";
                        continue;
                    }
                    failures = 0;
                }

                var (next, expired, sawEvent) = await WatchAsync(version!, resourceVersion!, cancellationToken).ConfigureAwait(false);
                if (sawEvent)
                {
                    failures = 0;
                }
                if (expired is not null)
                {
                    // 410 Gone: the resourceVersion is compacted away; events were missed. Relist.
                    LogExpired(_logger, _kind.Name, resourceVersion, expired);
                    WatchFailuresCounter.Add(1, Tag("reason", "expired"));
                    Update(s => s with { WatchFailures = s.WatchFailures + 1, LastError = expired });
                    resourceVersion = null;
                    reason = "expired";
                    continue;
                }
                resourceVersion = next; // a clean end (timeout): resume from where the watch got to
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException ex) when ((int)ex.Response.StatusCode == 410)
            {
                // A list continue token or a watch that expired before it started.
                LogExpired(_logger, _kind.Name, resourceVersion, ex.Message);
                resourceVersion = null;
                reason = "expired";
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Connection drops, HTTP errors, ERROR events; anything else is a bug, but one kind's
                // informer must not die silently: log it, back off and carry on.
                failures++;
                var delay = Backoff(failures);
                var status = (ex as HttpOperationException)?.Response.StatusCode;
                var paging = ex as KubeListPagingException;
                WatchFailuresCounter.Add(1, Tag("reason", paging?.Reason ?? (status is { } code ? ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture) : "connection")));
                var operation = resourceVersion is null ? "list" : "watch";
                var detail = Describe(ex);
                // RBAC or credentials: retrying cannot help until an operator acts, so say what to do.
                var action = status switch
                {
                    System.Net.HttpStatusCode.Forbidden => $"the ingest's identity may not {operation} {_kind.Resource}: grant get, list and watch on it in the ingest's ClusterRole (deploy/k8s/ingest.yaml)",
                    System.Net.HttpStatusCode.Unauthorized => $"the API server rejected the ingest's credentials for {operation} {_kind.Plural}: check its ServiceAccount token or kubeconfig",
                    _ => null,
                };
                Update(s => s with { WatchFailures = s.WatchFailures + 1, LastError = action is null ? detail : $"{action}; {detail}" });
                if (action is not null)
                {
                    LogDenied(_logger, _kind.Name, action, detail, delay);
                }
                else if (paging is not null)
                {
                    LogPagingFailed(_logger, _kind.Name, detail, delay);
                }
                else if (ex is HttpOperationException or HttpRequestException or IOException or KubernetesException or System.Text.Json.JsonException)
                {
                    LogFailed(_logger, _kind.Name, operation, detail, delay);
                }
                else
                {
                    LogUnexpected(_logger, _kind.Name, delay, ex);
                }
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                if (resourceVersion is null)
                {
                    reason = "error";
                }
            }
        }
    }

    /// <summary>Lists every page; returns the version served and the list's resourceVersion, or (null, null) when no version is served.</summary>
    private async Task<(string? Version, string? ResourceVersion)> ListAsync(string reason, CancellationToken ct)
    {
        foreach (var version in _kind.Versions)
        {
            List<KubeItem> items;
            string rv;
            try
            {
                (items, rv) = await KubeListPager.ListAsync(_api, _kind, version, _options, ct).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when ((int)ex.Response.StatusCode == 404)
            {
                continue; // this version (or the whole CRD) is not served: try the next
            }

            var relist = _status.Lists > 0;
            ListsCounter.Add(1, Tag("reason", reason));
            Replace(items);
            Update(s => s with
            {
                Version = version,
                Served = true,
                Synced = true,
                ResourceVersion = rv,
                Lists = s.Lists + 1,
                Relists = s.Relists + (relist ? 1 : 0),
            });
            if (_synced.TrySetResult())
            {
                var apiVersion = _kind.ApiVersion(version);
                LogSynced(_logger, _kind.Name, apiVersion, items.Count, rv);
            }
            else
            {
                LogRelisted(_logger, _kind.Name, reason, items.Count, rv);
            }
            return (version, rv);
        }
        return (null, null);
    }

    private void NotServed()
    {
        ListsCounter.Add(1, Tag("reason", "not-served"));
        var wasServed = _status.Served;
        // Whatever was cached came from a version that is gone now: the objects are gone too.
        Replace([]);
        Update(s => s with { Served = false, Synced = true, Version = null });
        if (_synced.TrySetResult() || wasServed)
        {
            LogNotServed(_logger, _kind.Name, string.Join(", ", _kind.Versions.Select(_kind.ApiVersion)), _options.NotServedRetry);
        }
    }

    /// <summary>Watches until the stream ends; returns the last resourceVersion, the 410 message if it expired, and whether any event came.</summary>
    private async Task<(string ResourceVersion, string? Expired, bool SawEvent)> WatchAsync(string version, string resourceVersion, CancellationToken ct)
    {
        string? expired = null;
        Exception? other = null;
        var sawEvent = false;
        var timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble());
        Update(s => s with { Watches = s.Watches + 1 });
        void OnError(Exception ex)
        {
            if (ex is KubernetesException { Status.Code: 410 } k)
            {
                expired = k.Status.Message ?? "410 Gone";
            }
            else if (ex is KubernetesException ke)
            {
                other = ke;
            }
            else
            {
                // A line that did not deserialize: skip it, as the client does, but say so.
                LogBadEvent(_logger, _kind.Name, ex.Message);
            }
        }

        await foreach (var e in _api.WatchAsync(_kind, version, resourceVersion, timeout, OnError, ct).ConfigureAwait(false))
        {
            sawEvent = true;
            EventsCounter.Add(1, Tag("type", e.Type.ToString()));
            if (e.ResourceVersion is { Length: > 0 } rv)
            {
                resourceVersion = rv;
            }
            if (e.Item is { } item && e.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
            {
                Apply(e.Type, item);
            }
            Update(s => s with { ResourceVersion = resourceVersion, Events = s.Events + 1, LastEventAt = _time.GetUtcNow() });
        }
        if (other is not null)
        {
            throw other; // an ERROR event other than 410: back off, then resume from the last resourceVersion
        }
        return (resourceVersion, expired, sawEvent);
    }

    private void Apply(WatchEventType type, KubeItem item)
    {
        var changes = new List<KubeChange>(2);
        lock (_gate)
        {
            _cache.TryGetValue(item.Key, out var old);
            if (type == WatchEventType.Deleted)
            {
                // A DELETED for an object re-created since (another UID) is stale: keep the new one.
                if (old is not null && (old.Uid == item.Uid || item.Uid.Length == 0))
                {
                    _cache.Remove(item.Key);
                    _rejected.Remove(item.Key);
                    _warned.Remove(item.Key);
                    changes.Add(new KubeChange(KubeChangeType.Deleted, old, null));
                }
            }
            else
            {
                Put(item);
                Diff(old, item, changes);
            }
        }
        Emit(changes);
    }

    /// <summary>A relist: the new complete set replaces the cache; what is missing was deleted while we were not watching.</summary>
    private void Replace(List<KubeItem> items)
    {
        var changes = new List<KubeChange>();
        lock (_gate)
        {
            var fresh = new Dictionary<(string, string), KubeItem>(items.Count);
            foreach (var item in items)
            {
                fresh[item.Key] = item;
            }
            foreach (var (key, old) in _cache)
            {
                if (!fresh.ContainsKey(key))
                {
                    changes.Add(new KubeChange(KubeChangeType.Deleted, old, null));
                }
            }
            foreach (var (key, item) in fresh)
            {
                Diff(_cache.GetValueOrDefault(key), item, changes);
            }
            _cache.Clear();
            _rejected.Clear();
            _warned.Clear();
            foreach (var item in fresh.Values)
            {
                Put(item);
            }
        }
        Emit(changes);
    }

    /// <summary>Caches <paramref name="item"/>, keeping the rejected subset current. Under the lock.</summary>
    private void Put(KubeItem item)
    {
        _cache[item.Key] = item;
        if (item.Config is null)
        {
            _rejected[item.Key] = item;
        }
        else
        {
            _rejected.Remove(item.Key);
        }
        // Computed once per object version (Status reads them on every apply).
        var warnings = item.Config is { } config ? Mesh.Model.Config.ConfigWarnings.Of(config, $"{_kind.Plural}/{item.Namespace}/{item.Name}") : [];
        if (warnings.IsEmpty)
        {
            _warned.Remove(item.Key);
        }
        else
        {
            _warned[item.Key] = warnings;
        }
    }

    private static void Diff(KubeItem? old, KubeItem item, List<KubeChange> changes)
    {
        if (old is null)
        {
            changes.Add(new KubeChange(KubeChangeType.Added, null, item));
        }
        else if (old.Uid != item.Uid && old.Uid.Length > 0 && item.Uid.Length > 0)
        {
            // Deleted and re-created under the same name (the delete may have been missed).
            changes.Add(new KubeChange(KubeChangeType.Deleted, old, null));
            changes.Add(new KubeChange(KubeChangeType.Added, null, item));
        }
        else if (old.Content != item.Content)
        {
            changes.Add(new KubeChange(KubeChangeType.Updated, old, item));
        }
    }

    private void Emit(List<KubeChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        foreach (var c in changes)
        {
            ChangesCounter.Add(1, Tag("change", c.Type.ToString().ToLowerInvariant()));
        }
        Update(s => s with { EffectiveChanges = s.EffectiveChanges + changes.Count });
        _sink.OnChanges(_kind, changes);
    }

    private void Update(Func<KubeKindStatus, KubeKindStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var baseDelay = Math.Min(_options.BackoffMax.TotalMilliseconds, _options.BackoffInitial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromMilliseconds(baseDelay * (0.5 + Random.Shared.NextDouble()));
    }

    private KeyValuePair<string, object?>[] Tag(string name, string value) => [new("kind", _kind.Name), new(name, value)];

    private static string Describe(Exception ex) => ex switch
    {
        HttpOperationException h => $"HTTP {(int)h.Response.StatusCode}: {h.Response.Content}",
        KubernetesException k => $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}",
        _ => ex.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind}: synced ({ApiVersion}, {Count} objects, resourceVersion {ResourceVersion})")]
    private static partial void LogSynced(ILogger logger, string kind, string apiVersion, int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind}: relisted ({Reason}): {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogRelisted(ILogger logger, string kind, string reason, int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind}: the API server serves none of {Versions}; treated as empty (install the CRD to use it); looking again every {Retry}")]
    private static partial void LogNotServed(ILogger logger, string kind, string versions, TimeSpan retry);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind}: watch from resourceVersion {ResourceVersion} expired ({Detail}); relisting")]
    private static partial void LogExpired(ILogger logger, string kind, string? resourceVersion, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind}: {Operation} failed: {Detail}; retrying in {Delay}")]
    private static partial void LogFailed(ILogger logger, string kind, string operation, string detail, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind}: {Action}. The API server said {Detail}; retrying in {Delay}")]
    private static partial void LogDenied(ILogger logger, string kind, string action, string detail, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind}: {Detail}; retrying in {Delay}")]
    private static partial void LogPagingFailed(ILogger logger, string kind, string detail, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind}: the informer failed unexpectedly; retrying in {Delay}")]
    private static partial void LogUnexpected(ILogger logger, string kind, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind}: skipped a watch event that could not be read: {Detail}")]
    private static partial void LogBadEvent(ILogger logger, string kind, string detail);
}
