using System.Collections.Immutable;
using Mesh.XdsGateway.Protocol;

namespace Mesh.Testing;

/// <summary>
/// The watch <see cref="FakeConfigWatcher"/> hands out: resolves the shared resources against the
/// stream's subscription and records what the gateway reported (subscriptions, sent, ACK, NACK).
/// <see cref="Resolve"/> returns the same instance until something changes.
/// </summary>
public sealed class FakeProxyWatch : IProxyWatch
{
    private readonly FakeConfigWatcher _watcher;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Generation, Subscription Subscription, ResolvedResources Result)> _resolved = new(StringComparer.Ordinal);
    private readonly List<(string TypeUrl, string Version, string Nonce)> _sent = [];
    private readonly List<(string TypeUrl, string Version)> _acks = [];
    private readonly List<(string TypeUrl, string Version, string ErrorDetail)> _nacks = [];
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, TaskCompletionSource> _nextResolve = new(StringComparer.Ordinal);

    internal FakeProxyWatch(FakeConfigWatcher watcher, ProxyNode node)
    {
        _watcher = watcher;
        Node = node;
    }

    public event Action<string>? Changed;

    public ProxyNode Node { get; }

    public bool Disposed => WhenDisposed.IsCompleted;

    /// <summary>Completes when the gateway disposes the watch (the stream ended).</summary>
    public Task WhenDisposed => _disposed.Task;

    public IReadOnlyList<(string TypeUrl, string Version, string Nonce)> Sent => Copy(_sent);

    public IReadOnlyList<(string TypeUrl, string Version)> Acks => Copy(_acks);

    public IReadOnlyList<(string TypeUrl, string Version, string ErrorDetail)> Nacks => Copy(_nacks);

    /// <summary>The subscription the gateway last set for the type, or null if it set none.</summary>
    public Subscription? SubscriptionOf(string typeUrl)
    {
        lock (_gate)
        {
            return _subscriptions.GetValueOrDefault(typeUrl);
        }
    }

    public void SetSubscription(string typeUrl, Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions[typeUrl] = subscription;
        }
    }

    /// <summary>
    /// Completes after the gateway next calls <see cref="Resolve"/> for the type: lets a test wait
    /// until the stream loop has handled a notification before raising the next one.
    /// </summary>
    public Task NextResolveAsync(string typeUrl)
    {
        lock (_gate)
        {
            if (!_nextResolve.TryGetValue(typeUrl, out var next))
            {
                _nextResolve[typeUrl] = next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return next.Task;
        }
    }

    public ValueTask<ResolvedResources> ResolveAsync(string typeUrl) => ValueTask.FromResult(Resolve(typeUrl));

    public ResolvedResources Resolve(string typeUrl)
    {
        var result = ResolveLocked(typeUrl);
        _watcher.AfterResolve?.Invoke(typeUrl, result);
        return result;
    }

    private ResolvedResources ResolveLocked(string typeUrl)
    {
        var (generation, complete, all) = _watcher.Snapshot(typeUrl);
        lock (_gate)
        {
            if (_nextResolve.Remove(typeUrl, out var waiter))
            {
                waiter.TrySetResult();
            }

            var subscription = _subscriptions.GetValueOrDefault(typeUrl) ?? Subscription.None;
            if (_resolved.TryGetValue(typeUrl, out var cached) && cached.Generation == generation && ReferenceEquals(cached.Subscription, subscription))
            {
                return cached.Result;
            }

            var selected = subscription.Wildcard ? all : all.Where(p => subscription.Names.Contains(p.Key)).ToImmutableSortedDictionary(StringComparer.Ordinal);
            var result = new ResolvedResources(complete, selected);
            _resolved[typeUrl] = (generation, subscription, result);
            return result;
        }
    }

    public void ReportSent(string typeUrl, string version, string nonce, ResolvedResources sent) => Add(_sent, (typeUrl, version, nonce));

    public void ReportAck(string typeUrl, string version) => Add(_acks, (typeUrl, version));

    public void ReportNack(string typeUrl, string version, string errorDetail) => Add(_nacks, (typeUrl, version, errorDetail));

    public ValueTask DisposeAsync()
    {
        _watcher.Closed(this);
        _disposed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    internal void RaiseChanged(string typeUrl) => Changed?.Invoke(typeUrl);

    private IReadOnlyList<T> Copy<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }

    private void Add<T>(List<T> list, T item)
    {
        lock (_gate)
        {
            list.Add(item);
        }
    }
}
