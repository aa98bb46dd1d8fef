using System.Collections.Immutable;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.Testing;

/// <summary>
/// A hand-written <see cref="IConfigWatcher"/>: tests set the resources of each type; every open
/// watch then raises <see cref="IProxyWatch.Changed"/>. All proxies see the same resources.
/// </summary>
public sealed class FakeConfigWatcher : IConfigWatcher
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ImmutableSortedDictionary<string, XdsResource>> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _complete = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly List<FakeProxyWatch> _watches = [];
    private TaskCompletionSource<FakeProxyWatch> _nextWatch = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called on open; throw an <see cref="Grpc.Core.RpcException"/> to refuse the node.</summary>
    public Action<ProxyNode>? OnOpen { get; set; }

    /// <summary>
    /// Called after a watch resolved a type, outside every lock: lets a test change the resources
    /// between two resolutions of one flush (a service that finishes loading mid-sweep).
    /// </summary>
    public Action<string, ResolvedResources>? AfterResolve { get; set; }

    /// <summary>
    /// Completes the cluster set right after a stream next evaluates it incomplete, applying
    /// <paramref name="loaded"/> (a service that finishes loading mid-sweep, before the stream's next
    /// type is evaluated), and raises Changed for clusters only <paramref name="notifyAfter"/> later.
    /// </summary>
    public void CompleteClustersAfterNextIncompleteResolve(Action<FakeConfigWatcherBatch> loaded, TimeSpan notifyAfter)
    {
        var done = 0;
        AfterResolve = (type, resolved) =>
        {
            if (type == TypeUrls.Cluster && !resolved.Complete && Interlocked.Exchange(ref done, 1) == 0)
            {
                Batch(b => loaded(b.SetComplete(TypeUrls.Cluster, true)));
                _ = Task.Delay(notifyAfter).ContinueWith(_ => Raise(TypeUrls.Cluster), TaskScheduler.Default);
            }
        };
    }

    public IReadOnlyList<FakeProxyWatch> Watches
    {
        get
        {
            lock (_gate)
            {
                return [.. _watches];
            }
        }
    }

    public ValueTask<IProxyWatch> OpenAsync(ProxyNode node, CancellationToken cancellationToken)
    {
        OnOpen?.Invoke(node);
        var watch = new FakeProxyWatch(this, node);
        TaskCompletionSource<FakeProxyWatch> opened;
        lock (_gate)
        {
            _watches.Add(watch);
            opened = _nextWatch;
            _nextWatch = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        opened.TrySetResult(watch);
        return ValueTask.FromResult<IProxyWatch>(watch);
    }

    /// <summary>The watch most recently opened; waits for one if none is open yet.</summary>
    public Task<FakeProxyWatch> LatestWatchAsync()
    {
        lock (_gate)
        {
            return _watches.Count > 0 ? Task.FromResult(_watches[^1]) : _nextWatch.Task;
        }
    }

    /// <summary>Replaces every resource of the type and raises Changed.</summary>
    public void Set(string typeUrl, params XdsResource[] resources) => Publish([typeUrl], () => SetUnlocked(typeUrl, resources));

    /// <summary>Adds or replaces resources (any types) and raises Changed for their types in push order.</summary>
    public void Upsert(params XdsResource[] resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var types = resources.Select(r => r.TypeUrl).Distinct().ToList();
        Publish(types, () =>
        {
            foreach (var r in resources)
            {
                _resources[r.TypeUrl] = Current(r.TypeUrl).SetItem(r.Name, r);
            }
        });
    }

    public void Remove(string typeUrl, params string[] names) => Publish([typeUrl], () => _resources[typeUrl] = Current(typeUrl).RemoveRange(names));

    /// <summary>Marks the type's set as still loading (false) or complete (true) .</summary>
    public void SetComplete(string typeUrl, bool complete) => Publish([typeUrl], () => _complete[typeUrl] = complete);

    /// <summary>
    /// Changes several types at once and then raises Changed in <paramref name="raiseOrder"/>, so a
    /// test can check the gateway's push order against a hostile notification order.
    /// </summary>
    public void Batch(Action<FakeConfigWatcherBatch> change, params string[] raiseOrder)
    {
        ArgumentNullException.ThrowIfNull(change);
        Publish(raiseOrder, () => change(new FakeConfigWatcherBatch(this)));
    }

    /// <summary>Raises Changed for the types without changing anything.</summary>
    public void Raise(params string[] typeUrls) => Publish(typeUrls, () => { });

    internal void SetCompleteUnlocked(string typeUrl, bool complete) => _complete[typeUrl] = complete;

    internal void SetUnlocked(string typeUrl, IEnumerable<XdsResource> resources) =>
        _resources[typeUrl] = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, resources.Select(r => KeyValuePair.Create(r.Name, r)));

    internal (long Generation, bool Complete, ImmutableSortedDictionary<string, XdsResource> Resources) Snapshot(string typeUrl)
    {
        lock (_gate)
        {
            return (_generations.GetValueOrDefault(typeUrl), _complete.GetValueOrDefault(typeUrl, true), Current(typeUrl));
        }
    }

    internal void Closed(FakeProxyWatch watch)
    {
        lock (_gate)
        {
            _watches.Remove(watch);
        }
    }

    private ImmutableSortedDictionary<string, XdsResource> Current(string typeUrl) =>
        _resources.GetValueOrDefault(typeUrl) ?? ImmutableSortedDictionary<string, XdsResource>.Empty.WithComparers(StringComparer.Ordinal);

    private void Publish(IEnumerable<string> raiseOrder, Action change)
    {
        var types = raiseOrder.ToList();
        List<FakeProxyWatch> watches;
        lock (_gate)
        {
            change();
            foreach (var t in TypeUrls.PushOrder)
            {
                _generations[t] = _generations.GetValueOrDefault(t) + 1;
            }

            watches = [.. _watches];
        }

        foreach (var type in types)
        {
            foreach (var watch in watches)
            {
                watch.RaiseChanged(type);
            }
        }
    }
}
