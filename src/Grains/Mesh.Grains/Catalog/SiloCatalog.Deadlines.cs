using Mesh.Model.Config;

namespace Mesh.Grains.Catalog;

/// <summary>
/// ServiceFence deadlines: a host with <c>deadline.expire</c> leaves its fence's scopes when the time
/// passes. A fenced scope's build registers its fence's next deadline; one timer per silo catalog,
/// due at the earliest registered deadline, tells exactly the scopes whose deadline passed (work
/// proportional to what expires, never a scan of every fence).
/// </summary>
internal sealed partial class SiloCatalog
{
    private readonly SortedSet<(DateTimeOffset Due, string Scope)> _deadlines = [];
    private ITimer? _deadlineTimer;
    private DateTimeOffset? _deadlineTimerDue;
    private long _deadlineNotifications;

    /// <summary>Scopes told to rebuild because a fence deadline of theirs passed (for tests).</summary>
    internal long DeadlineNotifications => Interlocked.Read(ref _deadlineNotifications);

    /// <summary>Registers the earliest future deadline of <paramref name="fence"/> for the scope <paramref name="key"/>. Under the lock.</summary>
    private void WatchDeadline(string key, ServiceFence fence, DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var policy in fence.Hosts.Values)
        {
            if (policy is { Recycling: FenceRecycling.Deadline, Expire: { } expire } && expire > now && (next is null || expire < next))
            {
                next = expire;
            }
        }
        if (next is not { } due)
        {
            return;
        }
        _deadlines.Add((due, key));
        ArmDeadlineTimer(now);
    }

    private void OnDeadline()
    {
        var affected = new Affected();
        lock (_gate)
        {
            // This timer has fired: forget it, so the re-arm below always makes a new one. A timer
            // counts whole milliseconds on its own clock and may fire a little before the wall
            // clock reaches the deadline; nothing is due yet then, and keeping the fired timer as
            // "armed for that deadline" left the host in its fences for good.
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
            _deadlineTimerDue = null;
            var now = _time.GetUtcNow();
            while (_deadlines.Count > 0 && _deadlines.Min.Due <= now)
            {
                var (_, key) = _deadlines.Min;
                _deadlines.Remove(_deadlines.Min);
                if (_scopes.TryGetValue(key, out var reg))
                {
                    affected.Add(reg, scope: true);
                }
            }
            ArmDeadlineTimer(now);
        }
        Interlocked.Add(ref _deadlineNotifications, affected.Scopes.Count);
        Tell(affected);
    }

    /// <summary>Points the timer at the earliest registered deadline (none when there is none). Under the lock.</summary>
    private void ArmDeadlineTimer(DateTimeOffset now)
    {
        DateTimeOffset? due = _deadlines.Count > 0 ? _deadlines.Min.Due : null;
        if (due == _deadlineTimerDue && _deadlineTimer is not null)
        {
            return;
        }
        _deadlineTimer?.Dispose();
        _deadlineTimer = null;
        _deadlineTimerDue = due;
        if (due is { } at)
        {
            // Rounded up to a whole millisecond, so an early firing waits out the rest of the deadline.
            var wait = at > now ? TimeSpan.FromMilliseconds(Math.Ceiling((at - now).TotalMilliseconds)) : TimeSpan.Zero;
            _deadlineTimer = _time.CreateTimer(_ => OnDeadline(), null, wait, Timeout.InfiniteTimeSpan);
        }
    }
}
