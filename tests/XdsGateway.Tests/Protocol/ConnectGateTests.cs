using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// Admission of new streams (<see cref="ConnectGate"/>): in a connect storm at most the capacity of
/// streams are being served their first config, the rest wait first come first served, and a slot
/// never stays taken longer than the hold. Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ConnectGateTests : GateTestBase
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(2);

    private ConnectGate Gate(int capacity) =>
        new(Options.Create(new XdsGatewayOptions { MaxConcurrentConnects = capacity, ConnectSlotHold = Hold }), Time, Metrics);

    [Fact]
    public async Task StreamsBeyondTheCapacity_WaitInArrivalOrder_UntilAnAdmittedStreamSettles()
    {
        var gate = Gate(2);
        using var a = await gate.EnterAsync(CancellationToken.None);
        using var b = await gate.EnterAsync(CancellationToken.None);

        var c = gate.EnterAsync(CancellationToken.None).AsTask();
        Time.Advance(TimeSpan.FromMilliseconds(300));
        var d = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(c.IsCompleted);
        Assert.False(d.IsCompleted);
        Assert.Equal(2, gate.InUse);
        Assert.Equal(2, gate.Waiting);

        b.Release();
        using var third = await c; // the first to arrive is the first admitted
        Assert.False(d.IsCompleted);
        Assert.Equal(1, gate.Waiting);

        a.Release();
        using var fourth = await d;
        Assert.Equal(0, gate.Waiting);
        Assert.Equal(2, gate.InUse);
        Assert.Equal(2, Recorder.Total("xds_connect_gate_waits"));
        Assert.Equal([0.3, 0], Recorder.Values("xds_connect_gate_wait_seconds"));
        Assert.Equal(0, Recorder.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task ASlotNeverReleased_GoesBackAfterTheHold_AndALateReleaseDoesNotFreeASecondSlot()
    {
        var gate = Gate(1);
        var stuck = await gate.EnterAsync(CancellationToken.None);
        var next = gate.EnterAsync(CancellationToken.None).AsTask();

        Time.Advance(Hold - TimeSpan.FromMilliseconds(1));
        Assert.False(next.IsCompleted);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        using var admitted = await next;
        Assert.True(stuck.Released);
        Assert.Equal(1, Recorder.Total("xds_connect_gate_overtime"));

        // The stuck stream settles (or ends) later: its slot already went back, so nothing more is freed.
        stuck.Release();
        stuck.Dispose();
        Assert.Equal(1, gate.InUse);
        var third = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);

        admitted.Release();
        using var last = await third;
        Assert.Equal(1, Recorder.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task ASettledStream_StopsItsHold_SoTheHoldLaterCountsNoOvertime()
    {
        var gate = Gate(1);
        var slot = await gate.EnterAsync(CancellationToken.None);
        slot.Release();

        Time.Advance(Hold * 3);

        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, Recorder.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task SettleTime_IsRecordedForStreamsThatSettle_NotForStreamsThatEndOrRunOutTheHold()
    {
        var gate = Gate(3);
        var settles = await gate.EnterAsync(CancellationToken.None);
        var ends = await gate.EnterAsync(CancellationToken.None);
        var stalls = await gate.EnterAsync(CancellationToken.None);

        Time.Advance(TimeSpan.FromMilliseconds(250));
        settles.Release();
        settles.Dispose(); // the stream ends later: nothing more is recorded
        ends.Dispose();
        Time.Advance(Hold);
        stalls.Release(); // settles after its hold already gave the slot back

        Assert.Equal([0.25], Recorder.Values("xds_connect_settle_seconds"));
        Assert.Equal(1, Recorder.Total("xds_connect_gate_overtime"));
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task AStreamCancelledWhileWaiting_TakesNoSlot_AndLeavesTheQueue()
    {
        var gate = Gate(1);
        using var held = await gate.EnterAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = gate.EnterAsync(cts.Token).AsTask();
        Assert.Equal(1, gate.Waiting);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Waiting);
        Assert.Equal(1, gate.InUse);
        held.Release();
        Assert.Equal(0, gate.InUse);
        Assert.Empty(Recorder.Values("xds_connect_gate_wait_seconds"));
    }

    [Fact]
    public async Task CapacityZero_TurnsTheGateOff()
    {
        var gate = Gate(0);

        var slots = new List<ConnectGate.Slot>();
        for (var i = 0; i < 1_000; i++)
        {
            slots.Add(await gate.EnterAsync(CancellationToken.None));
        }

        Assert.All(slots, s => Assert.True(s.Released));
        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, Recorder.Total("xds_connect_gate_waits"));
    }

    [Theory]
    [InlineData(-1, 2_000, "Xds:MaxConcurrentConnects is -1; set it to 1 or more, or 0 to admit new streams without a limit")]
    [InlineData(64, 0, "Xds:ConnectSlotHold is 00:00:00; set it from 00:00:00.001 to 00:01:00")]
    [InlineData(64, 120_000, "Xds:ConnectSlotHold is 00:02:00; set it from 00:00:00.001 to 00:01:00")]
    public void Validator_RejectsBadGateKnobs_AndSaysHowToFix(int capacity, int holdMs, string message)
    {
        AssertRejected(new XdsGatewayOptions { MaxConcurrentConnects = capacity, ConnectSlotHold = TimeSpan.FromMilliseconds(holdMs) }, message);
    }
}
