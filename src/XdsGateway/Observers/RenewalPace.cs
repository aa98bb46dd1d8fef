namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Spreads the calls of one lease renewal evenly over a window: before call <c>i</c> of
/// <c>total</c> it waits until <c>window × i / total</c> has passed since the renewal began (in
/// steps of at least 100 ms, so it sleeps a few hundred times, not once per call). Calls slower
/// than the pace are never delayed further; a zero window never waits, and neither does a renewal
/// of fewer than <see cref="MinPaced"/> calls (a burst that small costs little, and it repairs a lost
/// notification at once rather than somewhere in the window).
/// </summary>
internal sealed class RenewalPace(TimeProvider time, TimeSpan window, int total)
{
    /// <summary>Renewals of fewer calls than this go at once.</summary>
    public const int MinPaced = 1_000;

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private readonly long _start = time.GetTimestamp();
    private int _done;

    public Task NextAsync()
    {
        if (window <= TimeSpan.Zero || total < MinPaced)
        {
            return Task.CompletedTask;
        }
        var due = window * ((double)_done++ / total);
        var ahead = due - time.GetElapsedTime(_start);
        return ahead >= Step ? Task.Delay(ahead, time) : Task.CompletedTask;
    }
}
