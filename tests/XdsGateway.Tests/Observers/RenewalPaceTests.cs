using Mesh.XdsGateway.Observers;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>
/// The periodic lease renewal is spread over half a lease period instead of one burst (R-08 still
/// holds: every lease is renewed each period). Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
[Trait("Category", "Functional")]
public sealed class RenewalPaceTests
{
    [Fact]
    public async Task CallsAreSpreadEvenlyOverTheWindow()
    {
        var time = new FakeTimeProvider();
        var pace = new RenewalPace(time, TimeSpan.FromSeconds(20), total: 2_000);

        // 2,000 calls over 20 s are due 10 ms apart: calls 0..9 go at once, call 10 is due at 100 ms.
        for (var i = 0; i < 10; i++)
        {
            Assert.True(pace.NextAsync().IsCompleted);
        }
        var second = pace.NextAsync();
        Assert.False(second.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void CallsBehindThePace_AreNotDelayed()
    {
        var time = new FakeTimeProvider();
        var pace = new RenewalPace(time, TimeSpan.FromSeconds(1), total: 1_000);

        // The calls themselves took longer than the window: the rest go at once.
        time.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(pace.NextAsync().IsCompleted);
        }
    }

    [Fact]
    public void ManyCallsInAWindow_SleepInSteps_NotOncePerCall()
    {
        var time = new FakeTimeProvider();
        var pace = new RenewalPace(time, TimeSpan.FromSeconds(30), total: 15_000);

        // 15,000 calls over 30 s are due 2 ms apart: the first 50 (under the 100 ms step) go at once.
        for (var i = 0; i < 50; i++)
        {
            Assert.True(pace.NextAsync().IsCompleted);
        }
        Assert.False(pace.NextAsync().IsCompleted);
    }

    [Fact]
    public void ASmallRenewal_GoesAtOnce()
    {
        var pace = new RenewalPace(new FakeTimeProvider(), TimeSpan.FromSeconds(30), total: RenewalPace.MinPaced - 1);

        for (var i = 0; i < RenewalPace.MinPaced - 1; i++)
        {
            Assert.True(pace.NextAsync().IsCompleted);
        }
    }

    [Fact]
    public void ARepairRenewal_WithNoWindow_NeverWaits()
    {
        var pace = new RenewalPace(new FakeTimeProvider(), TimeSpan.Zero, total: 5_000);

        for (var i = 0; i < 5_000; i++)
        {
            Assert.True(pace.NextAsync().IsCompleted);
        }
    }
}
