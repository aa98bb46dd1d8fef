using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// One process this test started: arguments passed without a shell, stdout lines queued for
/// <see cref="ReadLineAsync"/>, stdout and stderr recorded in <see cref="Output"/>. Disposing
/// closes stdin (our scripts exit on EOF) and sends SIGTERM, waits briefly, then kills this
/// process and its descendants by PID. Nothing else is ever signalled.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan StdinGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>(new() { SingleReader = true });
    private readonly Task _pumps;
    private bool _disposed;

    private ChildProcess(Process process, ProcessOutput output)
    {
        _process = process;
        Output = output;
        _pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput, "out", _stdout.Writer),
            PumpAsync(process.StandardError, "err", null));
    }

    public ProcessOutput Output { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string ExitDescription => _process.HasExited
        ? string.Create(CultureInfo.InvariantCulture, $"exited with code {_process.ExitCode}")
        : "still running";

    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var output = new ProcessOutput(name);
        output.Add("cmd", $"{fileName} {string.Join(' ', info.ArgumentList)}");
        var process = Process.Start(info)
            ?? throw new InvalidOperationException($"Could not start {name}: {fileName}");
        output.Add("cmd", string.Create(CultureInfo.InvariantCulture, $"pid {process.Id}"));
        return new ChildProcess(process, output);
    }

    public async Task WriteLineAsync(string line)
    {
        Output.Add("in", line);
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// The next stdout line, or a <see cref="TimeoutException"/> that says what we waited for and
    /// shows the process output. Fails at once if the process exits first.
    /// </summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout, string waitingFor)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (await _stdout.Reader.WaitToReadAsync(cts.Token) && _stdout.Reader.TryRead(out var line))
            {
                return line;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Timed out after {timeout.TotalSeconds:F0} s waiting for {waitingFor} on stdout of {Output.Name} " +
                $"(pid {Id}, {ExitDescription}).\n{Output.Tail()}");
        }

        throw new InvalidOperationException(
            $"{Output.Name} (pid {Id}) closed stdout ({ExitDescription}) while we waited for {waitingFor}.\n{Output.Tail()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process is already gone; the kill below is then a no-op.
        }

        if (!await ExitsWithinAsync(StdinGrace))
        {
            await TerminateAsync();
            if (!await ExitsWithinAsync(ExitGrace))
            {
                Output.Add("cmd", "did not exit after stdin closed and SIGTERM; killing by pid");
            }
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _pumps.WaitAsync(ExitGrace).ContinueWith(_ => { }, TaskScheduler.Default);
        Output.Add("cmd", ExitDescription);
        _process.Dispose();
    }

    private async Task<bool> ExitsWithinAsync(TimeSpan grace)
    {
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM to our own child by PID, so it can shut down cleanly before the kill.</summary>
    private async Task TerminateAsync()
    {
        if (_process.HasExited || !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var info = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-TERM");
        info.ArgumentList.Add(_process.Id.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var kill = Process.Start(info);
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1) on this machine: the Kill below still ends the process.
        }
    }

    private async Task PumpAsync(StreamReader reader, string stream, ChannelWriter<string>? lines)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                Output.Add(stream, line);
                lines?.TryWrite(line);
            }
        }
        catch (IOException e)
        {
            Output.Add(stream, $"<read failed: {e.Message}>");
        }
        finally
        {
            lines?.TryComplete();
        }
    }
}
