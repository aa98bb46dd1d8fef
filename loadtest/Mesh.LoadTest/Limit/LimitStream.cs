using System.Threading.Channels;
using Grpc.Core;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// One ADS stream of the limit server: the types it asked for, and at most one queued response per
/// type written by a single writer loop (<see cref="IServerStreamWriter{T}"/> is not thread-safe).
/// A response still queued when the next version arrives is replaced by that version's full set,
/// since the new change alone would skip the one it replaced (latest wins).
/// </summary>
internal sealed class LimitStream(bool delta)
{
    // Guarded by the hub's gate.
    private readonly HashSet<LimitType> _subscribed = [];
    private readonly Lock _lock = new();
    private readonly List<Pending> _pending = new(4);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>True the first time the stream names <paramref name="type"/>. Call under the hub's gate.</summary>
    public bool Subscribe(LimitType type) => _subscribed.Add(type);

    /// <summary>Call under the hub's gate.</summary>
    public bool IsSubscribed(LimitType type) => _subscribed.Contains(type);

    public void Enqueue(LimitType type, LimitResponses responses, bool full)
    {
        lock (_lock)
        {
            var i = _pending.FindIndex(p => p.Type == type);
            if (i >= 0)
            {
                _pending[i] = new Pending(type, responses, Full: true);
            }
            else
            {
                _pending.Add(new Pending(type, responses, full));
            }
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Writes queued responses, oldest type first, until cancelled or a write fails.</summary>
    public async Task WriteAllAsync(IServerStreamWriter<byte[]> writer, CancellationToken cancellationToken)
    {
        while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            while (Take() is { } next)
            {
                var bytes = next.Responses.For(delta, next.Full);
                await writer.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                next.Type.CountWrite(bytes.Length);
            }
        }
    }

    private Pending? Take()
    {
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return null;
            }
            var next = _pending[0];
            _pending.RemoveAt(0);
            return next;
        }
    }

    private sealed record Pending(LimitType Type, LimitResponses Responses, bool Full);
}
