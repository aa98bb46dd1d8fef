using Grpc.Core;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// The limit server's state and stream logic, and the gRPC service instance its methods are bound
/// to (<see cref="LimitAdsMethods"/>). A stream's first request for a type gets that type's current
/// response; every later request (ACK, NACK, subscription change) only keeps the subscription, since
/// every stream already holds every resource. <see cref="ReplaceAsync"/> pushes each new version to
/// the subscribed streams.
/// </summary>
internal sealed class LimitHub : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LimitType> _types;
    private readonly HashSet<LimitStream> _streams = [];
    private readonly SemaphoreSlim _replacing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private bool _stopped;

    public LimitHub(IReadOnlyList<XdsResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        _types = resources.GroupBy(r => r.TypeUrl, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new LimitType(g.Key, Distinct(g.ToList())), StringComparer.Ordinal);
    }

    public long ResponsesWritten => Sum(t => t.Responses);

    public long BytesWritten => Sum(t => t.Bytes);

    public int OpenStreams
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    public long ResponsesWrittenOf(string typeUrl)
    {
        lock (_gate)
        {
            return _types.TryGetValue(typeUrl, out var type) ? type.Responses : 0;
        }
    }

    /// <summary>Serves one SotW or delta stream until the client ends it, a write fails, or the hub stops.</summary>
    public async Task ServeAsync<TRequest>(
        IAsyncStreamReader<TRequest> requests,
        IServerStreamWriter<byte[]> responses,
        ServerCallContext context,
        bool delta,
        Func<TRequest, (string TypeUrl, bool Ack)> read)
    {
        var stream = new LimitStream(delta);
        lock (_gate)
        {
            if (_stopped)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "the limit server is shutting down"));
            }
            _streams.Add(stream);
        }
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping.Token);
        var writing = WriteUntilEndAsync(stream, responses, end);
        try
        {
            while (await requests.MoveNext(end.Token).ConfigureAwait(false))
            {
                var (typeUrl, ack) = read(requests.Current);
                if (typeUrl.Length == 0)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "ADS requests must set type_url"));
                }
                OnRequest(stream, typeUrl, ack);
            }
        }
        catch (Exception ex) when (end.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client went away, a write failed, or the hub stopped: the stream simply ends.
        }
        finally
        {
            lock (_gate)
            {
                _streams.Remove(stream);
            }
            await end.CancelAsync().ConfigureAwait(false);
            await writing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adds or replaces resources of one type, serializes the new version once, and queues it to
    /// every subscribed stream; returns how many streams it was queued to.
    /// </summary>
    public async Task<int> ReplaceAsync(IReadOnlyList<XdsResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (resources.Count == 0)
        {
            throw new ArgumentException("nothing to replace: the list is empty", nameof(resources));
        }
        var typeUrl = resources[0].TypeUrl;
        if (resources.FirstOrDefault(r => r.TypeUrl != typeUrl) is { } other)
        {
            throw new ArgumentException($"replace one type at a time: got {typeUrl} and {other.TypeUrl} ({other.Name})", nameof(resources));
        }
        var replaced = Distinct(resources);
        await _replacing.WaitAsync().ConfigureAwait(false);
        try
        {
            LimitType type;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopped, this);
                type = TypeLocked(typeUrl);
            }
            // Serialized once, outside the gate, so streams keep subscribing meanwhile.
            var next = type.Next(replaced);
            lock (_gate)
            {
                type.Current = next;
                var queued = 0;
                foreach (var stream in _streams)
                {
                    if (stream.IsSubscribed(type))
                    {
                        stream.Enqueue(type, next, full: false);
                        queued++;
                    }
                }
                return queued;
            }
        }
        finally
        {
            _replacing.Release();
        }
    }

    /// <summary>Ends every stream (they complete with OK) and refuses new ones.</summary>
    public async Task StopAsync()
    {
        lock (_gate)
        {
            _stopped = true;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _replacing.Dispose();
    }

    private void OnRequest(LimitStream stream, string typeUrl, bool ack)
    {
        lock (_gate)
        {
            var type = TypeLocked(typeUrl);
            if (stream.Subscribe(type) && !ack)
            {
                stream.Enqueue(type, type.Current, full: true);
            }
        }
    }

    private static async Task WriteUntilEndAsync(LimitStream stream, IServerStreamWriter<byte[]> responses, CancellationTokenSource end)
    {
        try
        {
            await stream.WriteAllAsync(responses, end.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // A failed write ends the stream: stop reading its requests too.
            if (!end.IsCancellationRequested)
            {
                await end.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    private LimitType TypeLocked(string typeUrl)
    {
        if (!_types.TryGetValue(typeUrl, out var type))
        {
            // A type nobody supplied is served empty, so a client asking for it is still answered.
            type = new LimitType(typeUrl, []);
            _types[typeUrl] = type;
        }
        return type;
    }

    private long Sum(Func<LimitType, long> counter)
    {
        lock (_gate)
        {
            return _types.Values.Sum(counter);
        }
    }

    private static List<XdsResource> Distinct(IReadOnlyList<XdsResource> resources) =>
        resources.GroupBy(r => r.Name, StringComparer.Ordinal).Select(g => g.Count() == 1
            ? g.First()
            : throw new ArgumentException($"resource {g.Key} of {g.First().TypeUrl} is listed {g.Count()} times", nameof(resources))).ToList();
}
