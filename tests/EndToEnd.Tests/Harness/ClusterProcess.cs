using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// One process of a distributed test cluster (redis-server, or a silo, gateway or ingest DLL), run
/// under scripts/stdin_guard.py so it never outlives the test. <see cref="Pid"/> is the real
/// process (the guard's child), so SIGKILL/SIGSTOP hit it and not the guard.
/// </summary>
internal sealed class ClusterProcess : IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<ChildProcess> _start;
    private ChildProcess _process;

    private ClusterProcess(string name, Func<ChildProcess> start, int? adminPort)
    {
        _name = name;
        _start = start;
        AdminPort = adminPort;
        _process = start();
    }

    public string Name => _name;

    public int? AdminPort { get; }

    public ProcessOutput Output => _process.Output;

    /// <summary>The pid of the real process under the guard.</summary>
    public int Pid => ChildOf(_process.Id) ?? throw new InvalidOperationException($"{_name}: no child process under guard pid {_process.Id} ({_process.ExitDescription})\n{Output.Tail()}");

    public bool HasExited => _process.HasExited || ChildOf(_process.Id) is null;

    public static ClusterProcess StartDotnet(string name, string dll, IReadOnlyDictionary<string, string> environment, int adminPort)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
        {
            throw new FileNotFoundException($"{dll} (and its runtimeconfig) not in the test output; tests/EndToEnd.Tests must reference its project.", path);
        }
        var env = new Dictionary<string, string>(environment)
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["Mesh__AdminPort"] = adminPort.ToString(CultureInfo.InvariantCulture),
            ["Mesh__ListenAddress"] = "127.0.0.1",
            ["Mesh__AdvertisedIp"] = "127.0.0.1",
        };
        return new ClusterProcess(name, () => ChildProcess.Start(name, RepoPaths.Python, [RepoPaths.Script("stdin_guard.py"), "dotnet", path], env), adminPort);
    }

    /// <summary>redis-server on a loopback port, persisting with an append-only file in <paramref name="dataDir"/> (as a StatefulSet would).</summary>
    public static ClusterProcess StartRedis(int port, string dataDir) =>
        new("redis", () => ChildProcess.Start("redis", RepoPaths.Python,
            [RepoPaths.Script("stdin_guard.py"), "redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir]), null);

    /// <summary>Waits for GET /readyz = 200 on the admin port (or, for Redis, the TCP port to accept).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, int? tcpPort = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_name} exited ({_process.ExitDescription}) while we waited for it to be ready.\n{Output.Tail()}");
            }
            try
            {
                if (tcpPort is { } p)
                {
                    using var tcp = new System.Net.Sockets.TcpClient();
                    await tcp.ConnectAsync(IPAddress.Loopback, p);
                    return;
                }
                using var r = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{AdminPort}/readyz")));
                last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
            {
                last = ex.Message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{_name} not ready after {timeout.TotalSeconds:F0} s; last /readyz: {last}\n{Output.Tail()}");
    }

    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{AdminPort}{path}")));
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Output.Add("cmd", $"kill -{signal} {Pid}");
    }

    /// <summary>SIGKILL the real process and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        var pid = Pid;
        Signal("KILL");
        await WaitGoneAsync(pid, TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
    }

    /// <summary>SIGTERM (graceful: drain) and wait up to <paramref name="timeout"/> for the process to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var pid = Pid;
        var sw = Stopwatch.StartNew();
        Signal("TERM");
        await WaitGoneAsync(pid, timeout);
        await _process.DisposeAsync();
        return sw.Elapsed;
    }

    /// <summary>Starts the process again with the same command and environment.</summary>
    public void Restart() => _process = _start();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task WaitGoneAsync(int pid, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && !IsZombie(pid))
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"{_name} (pid {pid}) still running {timeout.TotalSeconds:F0} s after the signal.\n{Output.Tail()}");
            }
            await Task.Delay(50);
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static int? ChildOf(int guardPid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{guardPid}/task/{guardPid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
