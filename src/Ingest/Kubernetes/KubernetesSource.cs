using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Mesh.Grains;
using Mesh.Grains.Keys;
using Mesh.Ingest.Kubernetes.Leadership;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Keeps the grains in sync with a Kubernetes cluster. One <see cref="KubeInformer"/> per kind feeds
/// a live view per namespace; a namespace's changes are applied after its own debounce
/// (<see cref="NamespaceDebouncer"/>), and applying them recompiles only the hosts and namespaces
/// they affect (<see cref="RegistryIndex"/>), so the cost of a change does not grow with the mesh.
/// Nothing is written before every kind's first list is in, and the mesh is marked ready only after
/// that first complete apply (X-25: no empty or partial LDS/CDS). Namespaces outside the
/// discovery selectors are not served; relabelling a namespace brings its objects in or out.
/// </summary>
public sealed partial class KubernetesSource : BackgroundService, IKubeChangeSink
{
    private static readonly Counter<long> Flushes = IngestStatus.Meter.CreateCounter<long>("mesh_k8s_namespace_flushes", description: "Namespace batches applied after their debounce.");
    private static readonly Histogram<double> ApplySeconds = IngestStatus.Meter.CreateHistogram<double>("mesh_k8s_apply_seconds", "s", "Time to compile and write one debounced batch.");

    private readonly KubernetesSourceOptions _options;
    private readonly IKubeApi _api;
    private readonly IGrainFactory _grains;
    private readonly GrainWriter _writer;
    private readonly IngestStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesSource> _logger;
    private readonly NamespaceSelector _selector;
    private readonly NamespaceDebouncer _debouncer;
    private readonly ImmutableArray<KubeInformer> _informers;
    private readonly IngestLeaderElection? _election;
    private readonly FenceStatusWriter _fenceStatus;

    private readonly Lock _gate = new();
    // What the informers hold now (valid objects only), by namespace; Namespace objects under their own name.
    private readonly Dictionary<string, Dictionary<ConfigKey, ConfigObject>> _live = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImmutableSortedDictionary<string, string>> _namespaceLabels = new(StringComparer.Ordinal);
    // Keys changed since their namespace was last applied; null: re-evaluate the whole namespace.
    private readonly Dictionary<string, HashSet<ConfigKey>?> _changed = new(StringComparer.Ordinal);
    // Node locality by node name, and the Pods on each node: a Pod is held with its Node's locality,
    // and a relabelled Node re-enriches (and marks changed) only the Pods on it.
    private readonly Dictionary<string, Locality> _nodeLocality = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ConfigKey>> _podsOnNode = new(StringComparer.Ordinal);

    // Owned by the apply loop.
    private readonly IncrementalRegistry _index;
    private volatile bool _synced;

    public KubernetesSource(
        IOptions<KubernetesSourceOptions> options,
        IKubeApi api,
        IGrainFactory grains,
        GrainWriter writer,
        IngestStatus status,
        MeshSettings settings,
        TimeProvider time,
        ILogger<KubernetesSource> logger,
        IngestLeaderElection? election = null)
    {
        _options = options.Value;
        _election = election;
        _api = api;
        _grains = grains;
        _writer = writer;
        _status = status;
        _time = time;
        _logger = logger;
        _selector = NamespaceSelector.Parse(_options.DiscoverySelectors);
        _debouncer = new NamespaceDebouncer(_options.DebounceAfter, _options.DebounceMax, time);
        _index = new IncrementalRegistry(settings);
        _informers = [.. KubeKind.All.Select(k => new KubeInformer(k, api, this, _options.Informer, time, logger))];
        _fenceStatus = new FenceStatusWriter(api, grains, settings, _options, time, logger, LiveFence, LiveFences);
    }

    private ServiceFence? LiveFence(string ns, string name)
    {
        lock (_gate)
        {
            return _live.GetValueOrDefault(ns)?.GetValueOrDefault(new ConfigKey(ConfigKind.ServiceFence, ns, name)) as ServiceFence;
        }
    }

    private List<string> LiveFences()
    {
        lock (_gate)
        {
            return [.. _live.Values.SelectMany(objects => objects.Keys).Where(k => k.Kind == ConfigKind.ServiceFence).Select(k => FenceKey.From(k.Namespace, k.Name))];
        }
    }

    /// <summary>Per kind: served version, objects, resourceVersion, lists, relists, watches, rejected objects.</summary>
    public IReadOnlyList<KubeKindStatus> Kinds => [.. _informers.Select(i => i.Status)];

    /// <summary>The leader election this source writes under; null when it always writes (election off).</summary>
    public IngestLeaderElection? Election => _election;

    /// <summary>The discovery selectors in force (empty: every namespace).</summary>
    public ImmutableArray<string> DiscoverySelectors => _selector.Text;

    /// <summary>True once every kind's first list has been applied and the mesh marked ready.</summary>
    public bool Synced => _synced;

    /// <summary>
    /// Readiness of this ingest: ready once it has applied everything and marked the mesh ready; a
    /// follower (another ingest holds the Lease) is ready once every kind is listed, warm to take over.
    /// </summary>
    public (bool Ready, string Why) Readiness()
    {
        if (_synced)
        {
            return (true, "");
        }
        var listing = _informers.Where(i => !i.Synced.IsCompletedSuccessfully).Select(i => i.Kind.Name).ToList();
        if (listing.Count > 0)
        {
            return (false, "still listing from the Kubernetes API: " + string.Join(", ", listing));
        }
        return _election is { Status.IsLeader: false }
            ? (true, "")
            : (false, "applying the first full list to the grains");
    }

    /// <summary>Namespaces with changes waiting for their debounce.</summary>
    public int PendingNamespaces => _debouncer.Pending;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(_logger, _selector.SelectsAll ? "every namespace" : "namespaces matching " + string.Join(" or ", _selector.Text));
        var running = _informers.Select(i => Task.Run(() => i.RunAsync(stoppingToken), stoppingToken)).ToList();
        try
        {
            // the gateways serve nothing until every kind is listed and applied.
            await Task.WhenAll(_informers.Select(i => i.Synced)).WaitAsync(stoppingToken).ConfigureAwait(false);
            var listed = _informers.Sum(i => i.Status.Objects);
            LogListed(_logger, listed);
            while (!stoppingToken.IsCancellationRequested)
            {
                // With leader election only the leader writes, fenced by its epoch; a follower keeps
                // its informers warm and takes over with a full apply when it is elected.
                var term = _election is null ? null : await _election.WaitForLeadershipAsync(stoppingToken).ConfigureAwait(false);
                using var lead = term is null
                    ? CancellationTokenSource.CreateLinkedTokenSource(stoppingToken)
                    : CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Lost);
                try
                {
                    await LeadAsync(term?.Epoch ?? 0, lead.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    LogDeposed(_logger, term?.Epoch ?? 0);
                }
                catch (StaleWriterException ex)
                {
                    // A newer leader has claimed the fence: stop writing, wait to be elected again.
                    LogStale(_logger, ex.RejectedEpoch, ex.CurrentEpoch, ex.CurrentHolder);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            await Task.WhenAll(running).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Writes as the (only or elected) writer with <paramref name="epoch"/> until <paramref name="stoppingToken"/> ends the term.</summary>
    private async Task LeadAsync(long epoch, CancellationToken stoppingToken)
    {
        // A new term re-derives everything: what an earlier term (or another leader) applied is unknown.
        _writer.Epoch = epoch;
        _writer.ForgetApplied();
        _debouncer.TakeAll();
        await ApplyUntilDoneAsync([], stoppingToken, everything: true).ConfigureAwait(false);
        await _grains.GetGrain<IMeshGrain>(MeshKey.Default).SetReadyAsync(epoch).ConfigureAwait(false);
        _synced = true;
        LogReady(_logger, _index.Count, _index.Definitions, epoch);
        var fenceStatus = _options.WriteFenceStatus ? Task.Run(() => _fenceStatus.RunAsync(stoppingToken), CancellationToken.None) : Task.CompletedTask;
        try
        {
            await ApplyChangesAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await fenceStatus.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // ends with the term
        }
    }

    /// <summary>Applies each namespace's changes after its debounce, and everything each resync interval, until the term ends.</summary>
    private async Task ApplyChangesAsync(CancellationToken stoppingToken)
    {
        var lastResync = _time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            using var resync = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            resync.CancelAfter(_options.ResyncInterval - _time.GetElapsedTime(lastResync));
            IReadOnlyList<string> due;
            try
            {
                due = await _debouncer.NextAsync(resync.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Reconcile: re-derive every grain's state; the grains drop writes that change nothing.
                LogResync(_logger);
                _writer.ForgetApplied();
                await ApplyUntilDoneAsync([], stoppingToken, everything: true).ConfigureAwait(false);
                lastResync = _time.GetTimestamp();
                continue;
            }
            await ApplyUntilDoneAsync(due, stoppingToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _debouncer.Dispose();
        base.Dispose();
    }

    /// <summary>Informer callback: updates the live view and starts the namespace's debounce.</summary>
    public void OnChanges(KubeKind kind, IReadOnlyList<KubeChange> changes)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(changes);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var change in changes)
            {
                if (kind == KubeKind.Namespace)
                {
                    // A namespace's labels decide whether it is served: re-evaluate all of it.
                    var name = change.Name;
                    if (change.Current?.Config is { } ns)
                    {
                        _namespaceLabels[name] = ns.Meta.Labels;
                    }
                    else
                    {
                        _namespaceLabels.Remove(name);
                    }
                    _changed[name] = null;
                    touched.Add(name);
                    continue;
                }
                if (kind == KubeKind.Node)
                {
                    NodeChanged(change.Name, (change.Current?.Config as NodeObject)?.Locality, touched);
                    continue; // not served itself: it reaches the mesh through its Pods
                }
                var key = (change.Current?.Config ?? change.Previous?.Config)?.Key;
                if (key is not { } k)
                {
                    continue; // rejected before and now: nothing the mesh holds changes
                }
                if (!_live.TryGetValue(change.Namespace, out var inNs))
                {
                    _live[change.Namespace] = inNs = [];
                }
                if (inNs.GetValueOrDefault(k) is Pod { NodeName: { Length: > 0 } oldNode })
                {
                    RemoveFromNode(oldNode, k);
                }
                if (k.Kind == ConfigKind.ServiceFence)
                {
                    _fenceStatus.Enqueue(FenceKey.From(k.Namespace, k.Name)); // its spec hosts are in its status
                }
                if (change.Current?.Config is { } now)
                {
                    inNs[k] = now is Pod pod ? OnNode(pod, k) : now;
                }
                else
                {
                    inNs.Remove(k); // deleted, or now rejected: an invalid object is not served
                }
                MarkChanged(change.Namespace, k, touched);
            }
        }
        foreach (var ns in touched)
        {
            _debouncer.Touch(ns);
        }
    }

    /// <summary>Indexes <paramref name="pod"/> under its Node and returns it with the Node's locality. Under the lock.</summary>
    private Pod OnNode(Pod pod, ConfigKey key)
    {
        if (string.IsNullOrEmpty(pod.NodeName))
        {
            return pod; // not scheduled yet: its NodeName comes with a later update
        }
        if (!_podsOnNode.TryGetValue(pod.NodeName, out var pods))
        {
            _podsOnNode[pod.NodeName] = pods = [];
        }
        pods.Add(key);
        return pod with { NodeLocality = _nodeLocality.GetValueOrDefault(pod.NodeName) };
    }

    private void RemoveFromNode(string node, ConfigKey key)
    {
        if (_podsOnNode.TryGetValue(node, out var pods) && pods.Remove(key) && pods.Count == 0)
        {
            _podsOnNode.Remove(node);
        }
    }

    /// <summary>A Node was added, relabelled or deleted (<paramref name="locality"/> null): its Pods are held with the new locality and marked changed. Under the lock.</summary>
    private void NodeChanged(string node, Locality? locality, HashSet<string> touched)
    {
        if (locality == Locality.None)
        {
            locality = null; // a Node without topology labels gives its Pods nothing
        }
        var old = _nodeLocality.GetValueOrDefault(node);
        if (locality is null)
        {
            _nodeLocality.Remove(node);
        }
        else
        {
            _nodeLocality[node] = locality;
        }
        if (Equals(old, locality) || !_podsOnNode.TryGetValue(node, out var pods))
        {
            return;
        }
        foreach (var key in pods)
        {
            if (_live.GetValueOrDefault(key.Namespace)?.GetValueOrDefault(key) is Pod pod)
            {
                _live[key.Namespace][key] = pod with { NodeLocality = locality };
                MarkChanged(key.Namespace, key, touched);
            }
        }
    }

    private void MarkChanged(string ns, ConfigKey key, HashSet<string> touched)
    {
        if (!_changed.TryGetValue(ns, out var keys))
        {
            _changed[ns] = keys = [];
        }
        keys?.Add(key); // null: the whole namespace is re-evaluated anyway
        touched.Add(ns);
    }

    private async Task ApplyUntilDoneAsync(IReadOnlyList<string> namespaces, CancellationToken ct, bool everything = false)
    {
        while (true)
        {
            try
            {
                await ApplyAsync(namespaces, everything, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not StaleWriterException)
            {
                _status.RecordFailure(ex.Message);
                LogApplyFailed(_logger, ex);
                _writer.ForgetApplied();
                everything = true; // what reached the grains is unknown: re-derive all of it
                await Task.Delay(_options.RetryAfter, _time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Brings the applied view of <paramref name="namespaces"/> up to the live one, recompiles what that affects, and writes it.</summary>
    private async Task ApplyAsync(IReadOnlyList<string> namespaces, bool everything, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        var dirty = new DirtySet();
        lock (_gate)
        {
            var nsSet = everything ? [.. _live.Keys.Concat(_index.Namespaces).Concat(namespaces)] : namespaces.ToHashSet(StringComparer.Ordinal);
            foreach (var ns in nsSet)
            {
                var selected = Selected(ns);
                var live = _live.GetValueOrDefault(ns);
                IEnumerable<ConfigKey> keys = !everything && _changed.TryGetValue(ns, out var changed) && changed is not null
                    ? changed
                    : ((IEnumerable<ConfigKey>?)live?.Keys ?? []).Concat(_index.InNamespace(ns).Select(o => o.Key)).Distinct();
                _changed.Remove(ns);
                foreach (var key in keys.ToList())
                {
                    var target = selected ? live?.GetValueOrDefault(key) : null;
                    _index.Apply(key, target, dirty);
                }
            }
        }
        var (services, nsConfigs) = _index.Compile(dirty, everything);
        var compiled = _time.GetUtcNow();
        var writes = await _writer.ApplyChangesAsync(services, nsConfigs, [.. _index.Namespaces], ct).ConfigureAwait(false);
        var completed = _time.GetUtcNow();
        Flushes.Add(namespaces.Count);
        ApplySeconds.Record((completed - started).TotalSeconds);
        RecordStatus();
        _status.RecordApplied(new ApplyRecord(started, compiled, completed, writes));
        if (writes > 0)
        {
            LogApplied(_logger, namespaces.Count, dirty.Hosts.Count, dirty.Namespaces.Count, writes);
        }
    }

    private bool Selected(string ns) =>
        _selector.SelectsAll || (_namespaceLabels.TryGetValue(ns, out var labels) && _selector.Matches(labels));

    private void RecordStatus()
    {
        var kinds = Kinds;
        var byKind = kinds.Where(k => k.Objects > 0).ToImmutableSortedDictionary(k => k.Kind, k => k.Objects, StringComparer.Ordinal);
        var errors = kinds.SelectMany(k => k.Rejected).Concat(_index.Diagnostics).ToImmutableArray();
        _status.RecordObjects(byKind, errors, [.. kinds.SelectMany(k => k.Warnings)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kubernetes source starting: serving {Selection}")]
    private static partial void LogStarting(ILogger logger, string selection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every kind is listed ({Objects} objects)")]
    private static partial void LogListed(ILogger logger, int objects);

    [LoggerMessage(Level = LogLevel.Information, Message = "Everything is applied ({Objects} objects, {Services} services, writer epoch {Epoch}); the mesh is ready")]
    private static partial void LogReady(ILogger logger, int objects, int services, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leadership lost (epoch {Epoch}): no more writes until elected again")]
    private static partial void LogDeposed(ILogger logger, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write with epoch {Epoch} was rejected: epoch {Current} ({Holder}) is the writer now; waiting to be elected again")]
    private static partial void LogStale(ILogger logger, long epoch, long current, string? holder);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Applied {Namespaces} namespaces: {Hosts} hosts and {NamespaceConfigs} namespace configs recompiled, {Writes} grain writes")]
    private static partial void LogApplied(ILogger logger, int namespaces, int hosts, int namespaceConfigs, int writes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciling: re-deriving every service and namespace from the cluster")]
    private static partial void LogResync(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying to the grains failed; retrying everything")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);
}
