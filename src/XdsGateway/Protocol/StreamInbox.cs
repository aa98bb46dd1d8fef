using System.Threading.Channels;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// A stream's single input (STYLE 7): requests from the reader task, bounded so a client that floods
/// requests is pushed back by flow control, and change notifications, which never queue: they set a
/// per-type bit (latest wins) and wake the loop at most once per type until it takes the bits.
/// </summary>
internal sealed class StreamInbox<TRequest>
    where TRequest : class
{
    private readonly Channel<TRequest?> _channel;
    private int _changed;

    public StreamInbox(int capacity) => _channel = Channel.CreateBounded<TRequest?>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Bit <c>i</c> stands for <c>TypeUrls.PushOrder[i]</c>.</summary>
    public static int BitOf(string typeUrl) => TypeUrls.IndexOf(typeUrl) is var i and >= 0 ? 1 << i : 0;

    public ValueTask PostAsync(TRequest request, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(request, cancellationToken);

    /// <summary>Called from any thread by <see cref="IProxyWatch.Changed"/>. A full queue needs no wake: the loop takes the bits after every item.</summary>
    public void MarkChanged(string typeUrl)
    {
        var bit = BitOf(typeUrl);
        if (bit != 0 && (Interlocked.Or(ref _changed, bit) & bit) == 0)
        {
            _channel.Writer.TryWrite(null);
        }
    }

    public int TakeChanged() => Interlocked.Exchange(ref _changed, 0);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>A null item is a wake-up for changes.</summary>
    public bool TryRead(out TRequest? request) => _channel.Reader.TryRead(out request);

    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);
}
