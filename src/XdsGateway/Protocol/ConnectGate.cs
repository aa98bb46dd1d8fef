using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Admission of new streams: at most <see cref="XdsGatewayOptions.MaxConcurrentConnects"/> streams
/// per gateway are being brought to their first complete config at once; a stream that arrives while
/// they are all taken waits (first come, first served) before anything is resolved for it. A connect
/// storm (a rollout of thousands of pods, every proxy of a failed gateway reconnecting) otherwise
/// starts every stream together: each is half served while thousands of others are, their responses
/// and the clients' buffers pile up, and time to full config grows for all of them (20,000 proxies
/// arriving at about 580 a second, unbounded: p99 37 s). Through the gate the streams admitted finish
/// quickly and the others wait cheaply, holding nothing but their first request.
/// <para>
/// A stream keeps its slot until it is settled (<see cref="StreamLoop{TRequest}"/>: every type it
/// asked for answered and the answer acknowledged, ACK or NACK), until it ends, or for at most
/// <see cref="XdsGatewayOptions.ConnectSlotHold"/>, so a client that never settles (a stalled proxy,
/// an Envoy that never asks for listeners) delays the others by that much at most.
/// </para>
/// </summary>
public sealed class ConnectGate
{
    private readonly SemaphoreSlim? _slots;
    private readonly int _capacity;
    private readonly TimeSpan _hold;
    private readonly TimeProvider _time;
    private readonly XdsMetrics? _metrics;
    private int _waiting;

    public ConnectGate(IOptions<XdsGatewayOptions> options, TimeProvider time, XdsMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _capacity = options.Value.MaxConcurrentConnects;
        _hold = options.Value.ConnectSlotHold;
        _slots = _capacity > 0 ? new SemaphoreSlim(_capacity, _capacity) : null;
        _metrics = metrics;
        metrics?.ObserveConnectGate(() => InUse, () => Waiting);
    }

    /// <summary>Slots taken now; 0 when the gate is off.</summary>
    public int InUse => _slots is null ? 0 : _capacity - _slots.CurrentCount;

    /// <summary>Streams waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Waits for a slot (at once when one is free or the gate is off). The slot goes back when the
    /// caller releases or disposes it, or by itself after the hold.
    /// </summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots is null)
        {
            return Slot.None;
        }
        if (!_slots.Wait(0, CancellationToken.None))
        {
            var started = _time.GetTimestamp();
            Interlocked.Increment(ref _waiting);
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
            _metrics?.OnConnectGateWait(_time.GetElapsedTime(started).TotalSeconds);
        }
        try
        {
            return new Slot(this);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    // Not IDisposable on purpose: hold timers and streams still ending at shutdown return their slots
    // after the container is gone, and a disposed semaphore would throw (from a timer thread: the
    // process would crash on its way down). Without a wait handle it holds nothing to free.

    private enum Outcome
    {
        Settled,
        Ended,
        HoldExpired,
    }

    /// <summary>One admitted stream's slot; releasing it more than once (or after the hold) does nothing.</summary>
    public sealed class Slot : IDisposable
    {
        internal static readonly Slot None = new(null);

        private readonly ConnectGate? _gate;
        private readonly ITimer? _hold;
        private readonly long _admitted;
        private int _released;

        internal Slot(ConnectGate? gate)
        {
            _gate = gate;
            if (gate is not null)
            {
                _admitted = gate._time.GetTimestamp();
                _hold = gate._time.CreateTimer(static s => ((Slot)s!).Return(Outcome.HoldExpired), this, gate._hold, Timeout.InfiniteTimeSpan);
            }
        }

        /// <summary>Whether the slot has gone back to the gate.</summary>
        public bool Released => _gate is null || Volatile.Read(ref _released) != 0;

        /// <summary>The stream is settled: the slot goes to the next stream waiting, and the time it took is recorded.</summary>
        public void Release() => Return(Outcome.Settled);

        /// <summary>The stream ended (settled or not): the slot goes back if it has not already.</summary>
        public void Dispose() => Return(Outcome.Ended);

        private void Return(Outcome outcome)
        {
            if (_gate is null || Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }
            _hold?.Dispose(); // null only when the hold fired before the constructor stored it
            if (outcome == Outcome.Settled)
            {
                _gate._metrics?.OnConnectSettled(_gate._time.GetElapsedTime(_admitted).TotalSeconds);
            }
            else if (outcome == Outcome.HoldExpired)
            {
                _gate._metrics?.OnConnectGateOvertime();
            }
            _gate._slots!.Release();
        }
    }
}
