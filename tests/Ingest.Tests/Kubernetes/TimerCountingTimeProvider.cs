using Microsoft.Extensions.Time.Testing;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>
/// A fake clock that counts the timers made on it, so a test can tell when the code under test is
/// parked in a <c>Task.Delay</c> on it (and will stay there until the clock is advanced).
/// </summary>
internal sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private int _timers;

    public int Timers => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
