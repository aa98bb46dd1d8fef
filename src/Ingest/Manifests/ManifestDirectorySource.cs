using System.Collections.Immutable;
using System.Threading.Channels;
using Mesh.Grains;
using Mesh.Grains.Keys;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Mesh.Model.Config;
using Mesh.Model.Translation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Manifests;

/// <summary>
/// Watches a directory of Kubernetes/Istio manifests and keeps the grains in sync with it: files
/// added, changed or deleted are applied live (a deleted file removes its objects), bursts are
/// debounced in this one place, and only effective changes reach the grains. The mesh is marked
/// ready only after the first complete load has been applied.
/// </summary>
public sealed partial class ManifestDirectorySource(
    IOptions<ManifestSourceOptions> options,
    IGrainFactory grains,
    GrainWriter writer,
    IngestStatus status,
    MeshSettings settings,
    TimeProvider time,
    ILogger<ManifestDirectorySource> logger) : BackgroundService
{
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ManifestSet _set = new();
    private readonly IncrementalRegistry _registry = new(settings);
    private HashSet<string> _loggedErrors = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var dir = Path.GetFullPath(o.Directory);
        LogWatching(logger, dir);
        using var watcher = CreateWatcher(dir);

        ImmutableSortedDictionary<string, (DateTime, long)>? applied = null;
        var ready = false;
        var lastResync = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            // Everything in one try: a directory that cannot be read (permissions, a volume going
            // away) is retried like a failed apply, never allowed to stop the host.
            try
            {
                var stamps = ManifestSet.Scan(dir);
                if (applied is not null && time.GetElapsedTime(lastResync) >= o.ResyncInterval)
                {
                    // Reconcile: re-derive every grain's state from the source.
                    writer.ForgetApplied();
                    applied = null;
                    lastResync = time.GetTimestamp();
                    LogResync(logger);
                }
                if (applied is not null && StampsEqual(stamps, applied))
                {
                    await WaitForSignalAsync(o.PollInterval, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                if (applied is not null)
                {
                    stamps = await DebounceAsync(dir, stamps, o, stoppingToken).ConfigureAwait(false);
                }
                await ApplyAsync(dir, stamps, everything: applied is null, stoppingToken).ConfigureAwait(false);
                applied = stamps;
                if (!ready)
                {
                    await grains.GetGrain<IMeshGrain>(MeshKey.Default).SetReadyAsync().ConfigureAwait(false);
                    ready = true;
                    LogReady(logger, status.Current.Objects);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The registry took the objects in before the writes failed: the retry compiles and
                // offers every host again (the writer still skips what did reach the grains).
                applied = null;
                status.RecordFailure(ex.Message);
                LogApplyFailed(logger, ex);
                await Task.Delay(o.RetryAfter, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Applies the objects of the files that changed and compiles only what they affect (with
    /// <paramref name="everything"/>, the first load and a resync: every host and namespace).
    /// </summary>
    private async Task ApplyAsync(string dir, ImmutableSortedDictionary<string, (DateTime, long)> stamps, bool everything, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var (objects, errors, warnings) = _set.Update(dir, stamps);
        var dirty = new DirtySet();
        _registry.Sync(objects, dirty); // unchanged files keep their parsed objects: only changed ones apply
        var (services, namespaces) = _registry.Compile(dirty, everything);
        var allErrors = errors.AddRange(_registry.Diagnostics);
        status.RecordLoad(objects, allErrors, warnings);
        LogNewErrors(allErrors);
        var compiled = time.GetUtcNow();
        var writes = await writer.ApplyChangesAsync(services, namespaces, [.. _registry.Namespaces], ct).ConfigureAwait(false);
        status.RecordApplied(new ApplyRecord(started, compiled, time.GetUtcNow(), writes));
    }

    /// <summary>Waits until the directory is quiet for DebounceAfter, or DebounceMax has passed.</summary>
    private async Task<ImmutableSortedDictionary<string, (DateTime, long)>> DebounceAsync(
        string dir, ImmutableSortedDictionary<string, (DateTime, long)> stamps, ManifestSourceOptions o, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        while (time.GetElapsedTime(start) < o.DebounceMax)
        {
            await Task.Delay(o.DebounceAfter, time, ct).ConfigureAwait(false);
            var next = ManifestSet.Scan(dir);
            if (StampsEqual(next, stamps))
            {
                break;
            }
            stamps = next;
        }
        return stamps;
    }

    private async Task WaitForSignalAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _signals.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Poll interval elapsed: rescan in case an event was missed.
        }
    }

    private FileSystemWatcher? CreateWatcher(string dir)
    {
        if (!Directory.Exists(dir))
        {
            LogMissingDirectory(logger, dir);
            return null;
        }
        var w = new FileSystemWatcher(dir) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        FileSystemEventHandler signal = (_, _) => _signals.Writer.TryWrite(true);
        w.Created += signal;
        w.Changed += signal;
        w.Deleted += signal;
        w.Renamed += (_, _) => _signals.Writer.TryWrite(true);
        return w;
    }

    private void LogNewErrors(ImmutableArray<ConfigError> errors)
    {
        var now = errors.Select(e => e.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var e in now.Where(e => !_loggedErrors.Contains(e)))
        {
            LogRejected(logger, e);
        }
        _loggedErrors = now;
    }

    private static bool StampsEqual(ImmutableSortedDictionary<string, (DateTime, long)> a, ImmutableSortedDictionary<string, (DateTime, long)> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciling: re-applying the whole source to the grains")]
    private static partial void LogResync(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching manifests in {Directory}")]
    private static partial void LogWatching(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Manifest directory {Directory} does not exist; serving an empty mesh until it appears")]
    private static partial void LogMissingDirectory(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Initial manifests applied ({Objects} objects); the mesh is ready")]
    private static partial void LogReady(ILogger logger, int objects);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected: {Error}")]
    private static partial void LogRejected(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading or applying the manifests failed; retrying. Check that the directory is readable and the silo reachable")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);
}
