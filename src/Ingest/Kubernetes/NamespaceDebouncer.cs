namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Debounce per namespace (Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX, 100 ms / 10 s): a
/// namespace is due once it has been quiet for <c>after</c>, or <c>max</c> after its first pending
/// change, so one namespace that never goes quiet is applied every <c>max</c> and cannot hold
/// back the others. Thread-safe; one consumer.
/// </summary>
public sealed class NamespaceDebouncer(TimeSpan after, TimeSpan max, TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long First, long Last)> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Namespaces with a pending change.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Records a change in <paramref name="ns"/>.</summary>
    public void Touch(string ns)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _pending[ns] = _pending.TryGetValue(ns, out var p) ? (p.First, now) : (now, now);
        }
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another Touch signalled first.
            }
        }
    }

    /// <summary>Takes every pending namespace now, due or not (the initial sync, a reconcile).</summary>
    public IReadOnlyList<string> TakeAll()
    {
        lock (_gate)
        {
            var all = _pending.Keys.ToList();
            _pending.Clear();
            return all;
        }
    }

    /// <summary>Waits until at least one namespace is due and takes every due one.</summary>
    public async Task<IReadOnlyList<string>> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan? wait;
            lock (_gate)
            {
                var now = time.GetTimestamp();
                var due = _pending.Where(p => time.GetElapsedTime(p.Value.Last, now) >= after || time.GetElapsedTime(p.Value.First, now) >= max)
                    .Select(p => p.Key).ToList();
                if (due.Count > 0)
                {
                    foreach (var ns in due)
                    {
                        _pending.Remove(ns);
                    }
                    return due;
                }
                wait = _pending.Count == 0 ? null : _pending.Values
                    .Select(p => Min(after - time.GetElapsedTime(p.Last, now), max - time.GetElapsedTime(p.First, now)))
                    .Min();
            }
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var signalled = _signal.WaitAsync(cts.Token);
            if (wait is { } w)
            {
                await Task.WhenAny(signalled, Task.Delay(w < TimeSpan.Zero ? TimeSpan.Zero : w, time, cts.Token)).ConfigureAwait(false);
                await cts.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                await signalled.ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _signal.Dispose();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
