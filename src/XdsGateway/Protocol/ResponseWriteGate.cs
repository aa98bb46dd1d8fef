using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Bounds how many responses the gateway's streams write at once. A change every proxy sees (a
/// mesh-wide route) wakes every stream together; unbounded, each serializes its response into its
/// HTTP/2 stream's buffer before any reaches the socket, so one 31 KB route to 10,000 streams held
/// 310 MB of freshly rented buffer at once, and renting and touching that memory cost more CPU than
/// the sends. Through the gate, at most <see cref="XdsGatewayOptions.MaxConcurrentWrites"/> writes
/// are in flight (serialized and waiting for HTTP/2 to take them); the rest wait their turn, so the
/// buffers stay few and warm. A write still unfinished after <see cref="XdsGatewayOptions.WriteSlotHold"/>
/// (its client's flow-control window is full: a slow or stalled proxy) gives its slot up and goes
/// on without one, so slow clients never hold the others back.
/// </summary>
public sealed class ResponseWriteGate : IDisposable
{
    private readonly SemaphoreSlim? _slots;
    private readonly int _capacity;
    private readonly TimeSpan _hold;
    private readonly TimeProvider _time;
    private readonly XdsMetrics? _metrics;

    public ResponseWriteGate(IOptions<XdsGatewayOptions> options, TimeProvider time, XdsMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _capacity = options.Value.MaxConcurrentWrites;
        _hold = options.Value.WriteSlotHold;
        _slots = _capacity > 0 ? new SemaphoreSlim(_capacity, _capacity) : null;
        _metrics = metrics;
        metrics?.ObserveWriteGate(() => InUse);
    }

    /// <summary>Slots taken now; 0 when the gate is off.</summary>
    public int InUse => _slots is null ? 0 : _capacity - _slots.CurrentCount;

    /// <summary>A writer whose writes pass through this gate (the writer itself when the gate is off).</summary>
    public IServerStreamWriter<T> Wrap<T>(IServerStreamWriter<T> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return _slots is null ? inner : new GatedWriter<T>(this, inner);
    }

    public void Dispose() => _slots?.Dispose();

    private async Task WriteAsync<T>(IServerStreamWriter<T> inner, T message, CancellationToken cancellationToken)
    {
        var slots = _slots!;
        if (!slots.Wait(0, CancellationToken.None))
        {
            _metrics?.OnWriteGateWait();
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Task write;
        try
        {
            write = inner.WriteAsync(message, cancellationToken);
        }
        catch
        {
            slots.Release();
            throw;
        }

        try
        {
            if (!write.IsCompleted)
            {
                await write.WaitAsync(_hold, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // The client is not taking data: the slot goes back, and the write finishes without it below.
            _metrics?.OnWriteGateOvertime();
        }
        catch when (!write.IsCompleted)
        {
            // The stream was cancelled while its write was in flight: the write's own end (usually an
            // error, the stream being gone) is observed here, not left to the finalizer.
            _ = write.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        finally
        {
            slots.Release();
        }

        await write.ConfigureAwait(false);
    }

    private sealed class GatedWriter<T>(ResponseWriteGate gate, IServerStreamWriter<T> inner) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => gate.WriteAsync(inner, message, CancellationToken.None);

        public Task WriteAsync(T message, CancellationToken cancellationToken) => gate.WriteAsync(inner, message, cancellationToken);
    }
}
