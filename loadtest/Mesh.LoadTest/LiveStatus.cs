using Spectre.Console;

namespace Mesh.LoadTest;

/// <summary>Shows a phase's progress while it runs: a Spectre.Console status line when live, else a log line every 5 s.</summary>
internal static class LiveStatus
{
    private static readonly TimeSpan LiveEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(LoadOptions options, string phase, Func<string> status, Task work) =>
        await RunAsync(options, phase, status, Completed(work)).ConfigureAwait(false);

    public static async Task<T> RunAsync<T>(LoadOptions options, string phase, Func<string> status, Task<T> work)
    {
        if (options.Live)
        {
            await AnsiConsole.Status().StartAsync(Markup.Escape(phase), async ctx =>
            {
                while (!work.IsCompleted)
                {
                    ctx.Status(Markup.Escape($"{phase}: {status()}"));
                    await Task.WhenAny(work, Task.Delay(LiveEvery)).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
        else
        {
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(LogEvery)).ConfigureAwait(false);
                if (!work.IsCompleted)
                {
                    options.Log?.Invoke($"{phase}: {status()}");
                }
            }
        }
        var result = await work.ConfigureAwait(false);
        options.Log?.Invoke($"{phase}: done, {status()}");
        return result;
    }

    private static async Task<bool> Completed(Task work)
    {
        await work.ConfigureAwait(false);
        return true;
    }
}
