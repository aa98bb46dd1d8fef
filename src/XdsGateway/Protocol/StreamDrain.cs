using System.Collections.Concurrent;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Graceful drain of a gateway's streams. Once draining, new streams are refused and open ones
/// are ended in batches spread over the drain window with <c>UNAVAILABLE</c>, which gRPC and Envoy
/// clients treat as "reconnect" (to another gateway behind the Service); spreading them avoids a
/// reconnect storm on the remaining gateways.
/// </summary>
public sealed class StreamDrain(TimeProvider time)
{
    /// <summary>The <c>reason</c> of <see cref="IXdsCallbacks.OnStreamClosedByServer"/> for a drain.</summary>
    public const string CloseReason = "drain";

    private readonly ConcurrentDictionary<Lease, byte> _open = new();
    private volatile bool _draining;

    public bool Draining => _draining;

    public int OpenStreams => _open.Count;

    /// <summary>Registers a stream; its token is cancelled when the caller goes away or the drain reaches it.</summary>
    public Lease Register(CancellationToken callToken)
    {
        var lease = new Lease(this, CancellationTokenSource.CreateLinkedTokenSource(callToken));
        _open[lease] = 0;
        return lease;
    }

    /// <summary>Refuses new streams and ends the open ones over <paramref name="window"/>.</summary>
    public async Task DrainAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        _draining = true;
        var leases = _open.Keys.ToList();
        const int Batches = 10;
        var perBatch = Math.Max(1, (leases.Count + Batches - 1) / Batches);
        var pause = window / Batches;
        for (var i = 0; i < leases.Count; i += perBatch)
        {
            foreach (var lease in leases.Skip(i).Take(perBatch))
            {
                lease.Drain();
            }
            if (i + perBatch < leases.Count)
            {
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One registered stream.</summary>
    public sealed class Lease(StreamDrain owner, CancellationTokenSource cts) : IDisposable
    {
        private volatile bool _drained;

        public CancellationToken Token => cts.Token;

        /// <summary>True when the drain (not the client) ended the stream.</summary>
        public bool Drained => _drained;

        private readonly object _lock = new();
        private bool _disposed;

        internal void Drain()
        {
            // The stream may have ended between the drain's snapshot and now.
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }
                _drained = true;
                cts.Cancel();
            }
        }

        public void Dispose()
        {
            owner._open.TryRemove(this, out _);
            lock (_lock)
            {
                _disposed = true;
                cts.Dispose();
            }
        }
    }
}
