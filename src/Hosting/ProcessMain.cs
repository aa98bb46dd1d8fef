using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Hosting;

/// <summary>Entry point shared by the processes: a configuration problem is printed as a list of fixes and exits 2, not as a stack trace.</summary>
public static class ProcessMain
{
    public static async Task<int> RunAsync(string role, Func<WebApplication> build, Action<WebApplication>? started = null)
    {
        WebApplication app;
        try
        {
            app = build();
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"{role}: invalid configuration:");
            var failures = ex is OptionsValidationException v ? v.Failures : [ex.Message];
            foreach (var f in failures)
            {
                await Console.Error.WriteLineAsync($"  - {f}");
            }
            return 2;
        }
        try
        {
            await app.StartAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The logs above have the detail; say what failed and what to check in one line.
            await Console.Error.WriteLineAsync($"{role}: failed to start: {ex.GetBaseException().Message}");
            await Console.Error.WriteLineAsync($"{role}: check that Redis (Mesh__Redis) and the silos are reachable and the ports are free.");
            return 1;
        }
        started?.Invoke(app);
        await app.WaitForShutdownAsync();
        return 0;
    }
}
