using Grpc.Core;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// The gateway-wide bound on responses being written at once (<see cref="ResponseWriteGate"/>): a
/// change every proxy sees must not serialize one response per stream into HTTP/2 buffers all at
/// once, and a proxy whose flow-control window is full must not hold the others back. The writers
/// are fakes whose writes finish when the test says; time is a <see cref="FakeTimeProvider"/>.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ResponseWriteGateTests : GateTestBase
{
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(50);

    private ResponseWriteGate Gate(int capacity) =>
        new(Options.Create(new XdsGatewayOptions { MaxConcurrentWrites = capacity, WriteSlotHold = Hold }), Time, Metrics);

    [Fact]
    public async Task WritesBeyondTheCapacity_WaitUntilAnEarlierWriteIsTakenByHttp2()
    {
        using var gate = Gate(2);
        var a = new HeldWriter();
        var b = new HeldWriter();
        var c = new HeldWriter();

        var writeA = gate.Wrap(a).WriteAsync("a", CancellationToken.None);
        var writeB = gate.Wrap(b).WriteAsync("b", CancellationToken.None);
        var writeC = gate.Wrap(c).WriteAsync("c", CancellationToken.None);

        Assert.Equal(["a"], a.Started);
        Assert.Equal(["b"], b.Started);
        Assert.Empty(c.Started); // both slots are taken: c is not serialized yet
        Assert.Equal(2, gate.InUse);
        Assert.Equal(1, Recorder.Total("xds_write_gate_waits"));

        b.Finish();
        await writeB;
        await WaitUntilAsync(() => c.Started.Count == 1);
        Assert.False(writeA.IsCompleted);

        a.Finish();
        c.Finish();
        await Task.WhenAll(writeA, writeC);
        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, Recorder.Total("xds_write_gate_overtime"));
    }

    [Fact]
    public async Task AWriteItsClientDoesNotTake_GivesItsSlotUpAfterTheHold_AndStillFinishes()
    {
        using var gate = Gate(1);
        var stalled = new HeldWriter();
        var next = new HeldWriter();

        var stalledWrite = gate.Wrap(stalled).WriteAsync("stalled", CancellationToken.None);
        var nextWrite = gate.Wrap(next).WriteAsync("next", CancellationToken.None);
        Assert.Empty(next.Started);

        Time.Advance(Hold);
        await WaitUntilAsync(() => next.Started.Count == 1);
        Assert.Equal(1, Recorder.Total("xds_write_gate_overtime"));
        Assert.False(stalledWrite.IsCompleted); // the stalled write goes on, without a slot

        next.Finish();
        await nextWrite;
        stalled.Finish();
        await stalledWrite;
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task AFailedWrite_ReleasesItsSlot_AndItsErrorReachesTheStream()
    {
        using var gate = Gate(1);
        var failing = new HeldWriter();
        var next = new HeldWriter();

        var failingWrite = gate.Wrap(failing).WriteAsync("x", CancellationToken.None);
        var nextWrite = gate.Wrap(next).WriteAsync("y", CancellationToken.None);
        failing.Fail(new InvalidOperationException("stream reset by the client"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failingWrite);
        Assert.Equal("stream reset by the client", error.Message);
        await WaitUntilAsync(() => next.Started.Count == 1);
        next.Finish();
        await nextWrite;
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task AStreamCancelledWhileWaitingForASlot_NeverWrites_AndTakesNoSlot()
    {
        using var gate = Gate(1);
        var first = new HeldWriter();
        var waiting = new HeldWriter();
        using var cancel = new CancellationTokenSource();

        var firstWrite = gate.Wrap(first).WriteAsync("1", CancellationToken.None);
        var waitingWrite = gate.Wrap(waiting).WriteAsync("2", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingWrite);
        first.Finish();
        await firstWrite;
        Assert.Empty(waiting.Started);
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task AStreamCancelledWhileItsWriteIsInFlight_ReleasesItsSlot_AndTheNextStreamWrites()
    {
        using var gate = Gate(1);
        var inFlight = new HeldWriter();
        var next = new HeldWriter();
        using var cancel = new CancellationTokenSource();

        var inFlightWrite = gate.Wrap(inFlight).WriteAsync("1", cancel.Token);
        var nextWrite = gate.Wrap(next).WriteAsync("2", CancellationToken.None);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inFlightWrite);
        await WaitUntilAsync(() => next.Started.Count == 1);
        inFlight.Fail(new IOException("the stream is gone")); // observed by the gate, not left unobserved
        next.Finish();
        await nextWrite;
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void CapacityZero_TurnsTheGateOff()
    {
        using var gate = Gate(0);
        var writer = new HeldWriter();

        Assert.Same(writer, gate.Wrap(writer));
        Assert.Equal(0, gate.InUse);
    }

    [Theory]
    [InlineData(-1, 50, "Xds:MaxConcurrentWrites is -1; set it to 1 or more, or 0 to write without a limit")]
    [InlineData(64, 0, "Xds:WriteSlotHold is 00:00:00; set it from 00:00:00.001 to 00:00:10")]
    [InlineData(64, 60_000, "Xds:WriteSlotHold is 00:01:00; set it from 00:00:00.001 to 00:00:10")]
    public void Validator_RejectsBadGateKnobs_AndSaysHowToFix(int capacity, int holdMs, string message)
    {
        AssertRejected(new XdsGatewayOptions { MaxConcurrentWrites = capacity, WriteSlotHold = TimeSpan.FromMilliseconds(holdMs) }, message);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }

    /// <summary>A stream writer whose write finishes (or fails) when the test says, as HTTP/2 taking the bytes would.</summary>
    private sealed class HeldWriter : IServerStreamWriter<string>
    {
        private readonly TaskCompletionSource _taken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _started = [];

        public IReadOnlyList<string> Started
        {
            get
            {
                lock (_started)
                {
                    return [.. _started];
                }
            }
        }

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(string message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(string message, CancellationToken cancellationToken)
        {
            lock (_started)
            {
                _started.Add(message);
            }
            return _taken.Task;
        }

        public void Finish() => _taken.SetResult();

        public void Fail(Exception error) => _taken.SetException(error);
    }
}
