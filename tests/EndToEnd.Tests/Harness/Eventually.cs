using System.Diagnostics;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// Bounded polling for the few things an end-to-end test can only observe from outside (a live
/// file change reaching a real client). Every wait has a deadline, and its failure names what it
/// waited for and what it saw last.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task<T> UntilAsync<T>(
        string waitingFor,
        TimeSpan timeout,
        Func<Task<T>> observe,
        Func<T, bool> isDone,
        Func<T, string>? describe = null)
    {
        describe ??= value => value?.ToString() ?? "<null>";
        var clock = Stopwatch.StartNew();
        var attempts = 0;
        while (true)
        {
            attempts++;
            var value = await observe();
            if (isDone(value))
            {
                return value;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"Timed out after {timeout.TotalSeconds:F0} s ({attempts} observations) waiting for {waitingFor}. " +
                    $"Last observed: {describe(value)}");
            }

            await Task.Delay(Pause);
        }
    }
}
