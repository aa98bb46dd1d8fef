using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;
using Mesh.Grains;
using Mesh.Grains.Keys;
using Mesh.Ingest.Status;
using Mesh.Model.Config;
using Mesh.Model.Fences;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Writes each ServiceFence read from Kubernetes its <c>status.domains</c> (Slime's: every host with
/// ACTIVE, EXPIREWAIT or EXPIRE), as the leader only. Which fences to write comes from the fence
/// grains' marks (<see cref="IFenceStatusGrain"/>: a host learned, quiet or expired), from fence
/// objects the informer saw change, and at the start of a term from all of them. At most
/// <see cref="KubernetesSourceOptions.FenceStatusWrites"/> writes per
/// <see cref="KubernetesSourceOptions.FenceStatusInterval"/>; a status equal to the last one written
/// is not sent again (our own write comes back through the watch).
/// </summary>
public sealed partial class FenceStatusWriter
{
    private static readonly Counter<long> Writes = IngestStatus.Meter.CreateCounter<long>(
        "mesh_fence_status_writes", description: "ServiceFence status write-backs to Kubernetes, by result (written, unchanged, failed, no-status-subresource, gone).");

    private readonly IKubeApi _api;
    private readonly IGrainFactory _grains;
    private readonly MeshSettings _settings;
    private readonly KubernetesSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, string, ServiceFence?> _fence;
    private readonly Func<IReadOnlyList<string>> _allFences;

    private readonly Lock _gate = new();
    private readonly Queue<string> _queued = new();
    private readonly HashSet<string> _queuedSet = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warnedKinds = new(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="fence"/> gives the live ServiceFence object read from Kubernetes for (namespace,
    /// name), or null; <paramref name="allFences"/> the keys (<c>NAMESPACE/NAME</c>) of every live one.
    /// </summary>
    public FenceStatusWriter(IKubeApi api, IGrainFactory grains, MeshSettings settings, KubernetesSourceOptions options, TimeProvider time, ILogger logger,
        Func<string, string, ServiceFence?> fence, Func<IReadOnlyList<string>> allFences)
    {
        _api = api;
        _grains = grains;
        _settings = settings;
        _options = options;
        _time = time;
        _logger = logger;
        _fence = fence;
        _allFences = allFences;
    }

    /// <summary>A fence object was added or changed in Kubernetes: its spec hosts are part of its status.</summary>
    public void Enqueue(string fenceKey)
    {
        lock (_gate)
        {
            if (_queuedSet.Add(fenceKey))
            {
                _queued.Enqueue(fenceKey);
            }
        }
    }

    /// <summary>Writes statuses for one leader term, until <paramref name="stoppingToken"/> ends it.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        lock (_gate)
        {
            _written.Clear(); // another leader may have written since
        }
        foreach (var key in _allFences())
        {
            Enqueue(key);
        }
        var marks = _grains.GetGrain<IFenceStatusGrain>(IFenceStatusGrain.Key);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var budget = Math.Max(1, _options.FenceStatusWrites);
                var batch = Take(budget);
                if (batch.Count < budget)
                {
                    batch.AddRange(await marks.TakeAsync(budget - batch.Count).ConfigureAwait(false));
                }
                foreach (var key in batch.Distinct(StringComparer.Ordinal))
                {
                    await WriteAsync(key, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(_logger, "(marks)", ex.Message);
            }
            await Task.Delay(_options.FenceStatusInterval, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    private List<string> Take(int max)
    {
        var taken = new List<string>();
        lock (_gate)
        {
            while (taken.Count < max && _queued.TryDequeue(out var key))
            {
                _queuedSet.Remove(key);
                taken.Add(key);
            }
        }
        return taken;
    }

    private async Task WriteAsync(string key, CancellationToken ct)
    {
        var (ns, name) = FenceKey.Parse(key);
        if (_fence(ns, name) is not { } fence)
        {
            return; // implied by a label, or written by no one in Kubernetes: no object to write to
        }
        var learned = await _grains.GetGrain<IServiceFenceGrain>(key).GetAsync().ConfigureAwait(false);
        var domains = FenceStatus.Domains(fence, learned.Select(h => (h.Host, h.LastSeen)), _time.GetUtcNow(), _settings.LazyQuietPeriod);
        // "add" replaces /status when it exists and creates it when it does not: one request either way.
        var patch = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/status", ["value"] = FenceStatus.ToJson(domains) }).ToJsonString();
        lock (_gate)
        {
            if (_written.TryGetValue(key, out var last) && last == patch)
            {
                Writes.Add(1, new KeyValuePair<string, object?>("result", "unchanged"));
                return;
            }
        }
        var (kind, version) = KindOf(fence.ApiVersion);
        try
        {
            await _api.PatchStatusAsync(kind, version, ns, name, patch, ct).ConfigureAwait(false);
            lock (_gate)
            {
                _written[key] = patch;
            }
            Writes.Add(1, new KeyValuePair<string, object?>("result", "written"));
            LogWritten(_logger, kind.Name, key, domains.Length);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound && _fence(ns, name) is not null)
        {
            // The object is there (the informer holds it): its CRD serves no status subresource.
            Writes.Add(1, new KeyValuePair<string, object?>("result", "no-status-subresource"));
            bool first;
            lock (_gate)
            {
                first = _warnedKinds.Add(kind.Resource);
            }
            if (first)
            {
                LogNoStatus(_logger, kind.Resource, key);
            }
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            Writes.Add(1, new KeyValuePair<string, object?>("result", "gone"));
        }
        catch (HttpOperationException ex)
        {
            Writes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            LogFailed(_logger, key, $"{(int)ex.Response.StatusCode} {ex.Response.ReasonPhrase}: {ex.Response.Content}");
            Enqueue(key); // try again next interval
        }
        catch (HttpRequestException ex)
        {
            Writes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            LogFailed(_logger, key, ex.Message);
            Enqueue(key);
        }
    }

    private static (KubeKind Kind, string Version) KindOf(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return (group == KubeKind.ServiceFenceNetease.Group ? KubeKind.ServiceFenceNetease : KubeKind.ServiceFence, version);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote the status of {Kind} {Fence}: {Domains} domains")]
    private static partial void LogWritten(ILogger logger, string kind, string fence, int domains);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the status of {Fence}: the {Resource} CRD has no status subresource (add `subresources: {{status: {{}}}}` to it); learned hosts are still served and shown by /debug/fencez")]
    private static partial void LogNoStatus(ILogger logger, string resource, string fence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the status of ServiceFence {Fence} failed: {Reason}; retrying next interval")]
    private static partial void LogFailed(ILogger logger, string fence, string reason);
}
