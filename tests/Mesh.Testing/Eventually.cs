namespace Mesh.Testing;

/// <summary>Waits for a condition that something else makes true, polling briefly; never a fixed sleep as an assertion.</summary>
public static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> with <paramref name="describe"/> after <paramref name="timeout"/> (default 5 s).</summary>
    public static async Task WaitAsync(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds} s for: {describe()}");
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
