namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A hold from <see cref="FakeKubeApiServer.Hold"/>: requests under <see cref="PathPrefix"/> (of
/// <see cref="Verb"/>, when given) that arrive while it is in force wait, without a thread, until
/// <see cref="Release"/> (or disposal), and are then served as usual. A waiting request whose client
/// gives up, or that is still waiting when the server stops, is aborted, never answered empty.
/// </summary>
public sealed class KubeRequestHold : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<KubeRequestHold> _onRelease;
    private readonly Action _onChange;
    private int _waiting;
    private int _held;

    internal KubeRequestHold(string pathPrefix, KubeApiVerb? verb, Action<KubeRequestHold> onRelease, Action onChange)
    {
        PathPrefix = pathPrefix;
        Verb = verb;
        _onRelease = onRelease;
        _onChange = onChange;
    }

    public string PathPrefix { get; }

    public KubeApiVerb? Verb { get; }

    /// <summary>Requests waiting on this hold now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Requests this hold has stopped so far, released or not.</summary>
    public int Held => Volatile.Read(ref _held);

    public bool IsReleased => _released.Task.IsCompleted;

    /// <summary>Lets every waiting request through; later requests are no longer held. Idempotent.</summary>
    public void Release()
    {
        if (_released.TrySetResult())
        {
            _onRelease(this);
        }
    }

    public void Dispose() => Release();

    internal bool Matches(string path, KubeApiVerb verb) =>
        !IsReleased && path.StartsWith(PathPrefix, StringComparison.Ordinal) && (Verb is null || Verb == verb);

    internal async Task WaitAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _held);
        Interlocked.Increment(ref _waiting);
        _onChange();
        try
        {
            await _released.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
            _onChange();
        }
    }
}
