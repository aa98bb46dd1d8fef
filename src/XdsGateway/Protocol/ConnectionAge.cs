using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Max connection age (gRPC's <c>MAX_CONNECTION_AGE</c>, 30 min in istiod): once a connection is
/// older than <see cref="XdsGatewayOptions.MaxConnectionAge"/> ± jitter, its streams are ended so the
/// clients reconnect, through the load balancer and possibly to a newer gateway (G-08: a stream
/// closed after a response is not an error). The first stream on a connection fixes the deadline
/// in the connection's items; later streams on it share it. The jitter spreads the connections of
/// one reconnect wave, so they do not all come back at once.
/// </summary>
public sealed class ConnectionAge(IOptions<XdsGatewayOptions> options, TimeProvider time)
{
    /// <summary>The <c>reason</c> of <see cref="IXdsCallbacks.OnStreamClosedByServer"/> for this limit.</summary>
    public const string CloseReason = "max_age";

    private static readonly Lock Gate = new();
    private static readonly object ItemKey = new();

    /// <summary>
    /// Starts one stream's clock. <paramref name="connectionItems"/> is the connection's item bag
    /// (null: the stream counts as its own connection). The returned clock's token is
    /// <paramref name="streamToken"/>, also cancelled at the connection's deadline.
    /// </summary>
    public Clock Start(IDictionary<object, object?>? connectionItems, CancellationToken streamToken)
    {
        var age = options.Value.MaxConnectionAge;
        if (age <= TimeSpan.Zero)
        {
            return new Clock(null, null, streamToken);
        }

        var deadline = DeadlineOf(connectionItems, age, options.Value.MaxConnectionAgeJitter);
        var remaining = deadline.At - time.GetUtcNow();
        var timer = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time);
        return new Clock(deadline, timer, streamToken);
    }

    private Deadline DeadlineOf(IDictionary<object, object?>? items, TimeSpan age, double jitter)
    {
        var spread = jitter == 0 ? 1 : 1 + (jitter * ((2 * Random.Shared.NextDouble()) - 1));
        var fresh = new Deadline(time.GetUtcNow() + (age * spread), age * spread);
        if (items is null)
        {
            return fresh;
        }

        // Streams of one HTTP/2 connection start concurrently; the item bag is a plain dictionary.
        lock (Gate)
        {
            if (items.TryGetValue(ItemKey, out var existing) && existing is Deadline shared)
            {
                return shared;
            }

            items[ItemKey] = fresh;
            return fresh;
        }
    }

    /// <summary>One connection's deadline; the first stream to reach it closes the connection.</summary>
    internal sealed class Deadline(DateTimeOffset at, TimeSpan age)
    {
        private int _closing;

        public DateTimeOffset At { get; } = at;

        public TimeSpan Age { get; } = age;

        public bool TryStartClosing() => Interlocked.Exchange(ref _closing, 1) == 0;
    }

    /// <summary>One stream's view of its connection's age.</summary>
    public sealed class Clock : IDisposable
    {
        private readonly Deadline? _deadline;
        private readonly CancellationTokenSource? _timer;
        private readonly CancellationTokenSource? _linked;

        internal Clock(Deadline? deadline, CancellationTokenSource? timer, CancellationToken streamToken)
        {
            _deadline = deadline;
            _timer = timer;
            _linked = timer is null ? null : CancellationTokenSource.CreateLinkedTokenSource(streamToken, timer.Token);
            Token = _linked?.Token ?? streamToken;
        }

        /// <summary>Cancelled when the stream ends or the connection reaches its age.</summary>
        public CancellationToken Token { get; }

        /// <summary>True once the connection's deadline has passed.</summary>
        public bool Expired => _timer?.IsCancellationRequested == true;

        /// <summary>The connection's age limit, jitter applied.</summary>
        public TimeSpan Age => _deadline?.Age ?? Timeout.InfiniteTimeSpan;

        /// <summary>True for the first expired stream of a connection: it asks the connection to close.</summary>
        public bool TryStartClosing() => Expired && _deadline!.TryStartClosing();

        public void Dispose()
        {
            _linked?.Dispose();
            _timer?.Dispose();
        }
    }
}
