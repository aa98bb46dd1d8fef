using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Mesh.LoadTest.Proxies;

namespace Mesh.LoadTest;

/// <summary>
/// The distributed mesh as child processes on 127.0.0.1: redis-server, one silo, N xDS gateways and
/// the ingest, each started from this tool's output folder (the DLLs come with the project
/// references) and stopped by PID when the run ends.
/// </summary>
internal sealed class ClusterTarget : IMeshTarget
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly List<Child> _children = [];
    private readonly List<int> _xdsPorts = [];
    private readonly Dictionary<int, (Child Child, int AdminPort)> _gateways = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Dictionary<string, string> _env;
    private readonly string _redisDir = Directory.CreateTempSubdirectory("mesh-loadtest-redis-").FullName;

    private ClusterTarget(int redisPort) => _env = new()
    {
        ["Mesh__Redis"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{redisPort}"),
        ["Mesh__ClusterId"] = "loadtest-" + Guid.NewGuid().ToString("N")[..8],
        ["Mesh__ListenAddress"] = "127.0.0.1",
        ["Mesh__AdvertisedIp"] = "127.0.0.1",
        ["Logging__LogLevel__Default"] = "Warning",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    public IReadOnlyList<Uri> Gateways => [.. _xdsPorts.Select(p => new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{p}")))];

    public Uri? IngestAdmin => _children.Any(c => c.Name == "ingest") ? Admin("ingest") : null;

    public static async Task<ClusterTarget> StartAsync(string manifests, int gateways, CancellationToken cancellationToken)
    {
        var target = await StartSiloAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ingest = target.StartDotnet("ingest", "Mesh.Ingest.dll", new() { ["Mesh__Manifests"] = manifests });
            await ingest.WaitReadyAsync(ReadyTimeout, null, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < gateways; i++)
            {
                target._xdsPorts.Add(LoopbackPort.Next());
                target.StartGateway(i, LoopbackPort.Next());
            }
            foreach (var (g, _) in target._gateways.Values)
            {
                await g.WaitReadyAsync(ReadyTimeout, null, cancellationToken).ConfigureAwait(false);
            }
            return target;
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Redis and one silo, then the ingest serving the Kubernetes API at <paramref name="kubeApi"/>,
    /// not waited for: the caller times its sync. Gateways come with <see cref="AddGatewayAsync"/>.
    /// </summary>
    public static async Task<ClusterTarget> StartWithKubernetesAsync(Uri kubeApi, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kubeApi);
        var target = await StartSiloAsync(cancellationToken).ConfigureAwait(false);
        target.StartDotnet("ingest", "Mesh.Ingest.dll", new() { ["Mesh__KubeApi"] = kubeApi.ToString() });
        return target;
    }

    /// <summary>Starts one more gateway and waits until it is ready (which needs the mesh to be ready).</summary>
    public async Task AddGatewayAsync(CancellationToken cancellationToken)
    {
        _xdsPorts.Add(LoopbackPort.Next());
        var child = StartGateway(_xdsPorts.Count - 1, LoopbackPort.Next());
        await child.WaitReadyAsync(ReadyTimeout, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The admin address of a role (<c>silo</c>, <c>ingest</c>, <c>gateway0</c>…).</summary>
    public Uri Admin(string role) =>
        _children.FirstOrDefault(c => c.Name == role)?.AdminPort is { } port
            ? new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"))
            : throw new ArgumentException($"no running process '{role}'", nameof(role));

    /// <summary>Throws with the output's tail if <paramref name="role"/> has exited.</summary>
    public void EnsureRunning(string role)
    {
        var child = _children.FirstOrDefault(c => c.Name == role) ?? throw new ArgumentException($"no process '{role}'", nameof(role));
        if (child.Process.HasExited)
        {
            throw new InvalidOperationException($"{role} exited with code {child.Process.ExitCode}:\n{child.Tail}");
        }
    }

    /// <summary>A full compacting GC in each of <paramref name="roles"/> (<c>POST /debug/gc</c>), so the next sample shows live heaps.</summary>
    public async Task CollectGarbageAsync(IEnumerable<string> roles, CancellationToken cancellationToken)
    {
        foreach (var role in roles)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            using var gc = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            using var response = await gc.PostAsync(new Uri(Admin(role), "/debug/gc"), null, cts.Token).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
    }

    public async Task<IReadOnlyList<ProcessSample>> SampleAsync(CancellationToken cancellationToken)
    {
        var samples = new List<ProcessSample>();
        foreach (var c in _children.Where(c => c.Name != "redis" && c.AdminPort is not null))
        {
            double cpu = 0, rss = 0, peak = 0;
            try
            {
                c.Process.Refresh();
                if (c.Process.HasExited)
                {
                    continue;
                }
                cpu = c.Process.TotalProcessorTime.TotalSeconds;
                rss = c.Process.WorkingSet64 / 1048576.0;
                peak = c.Process.PeakWorkingSet64 / 1048576.0;
            }
            catch (InvalidOperationException)
            {
                continue;
            }
            var metrics = await MetricsScrape.ReadAsync(_http, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{c.AdminPort}")), cancellationToken).ConfigureAwait(false);
            samples.Add(new ProcessSample(c.Name, Math.Round(cpu, 2), Math.Round(rss, 1), Math.Round(peak, 1), metrics));
        }
        return samples;
    }

    public Task CollectGatewayGarbageAsync(CancellationToken cancellationToken) =>
        // A compacting GC of a heap holding 10,000 streams takes a while: not the 5 s default.
        CollectGarbageAsync(_gateways.Values.Where(g => _children.Contains(g.Child)).Select(g => g.Child.Name), cancellationToken);

    public async Task<bool> CollectSiloGarbageAsync(CancellationToken cancellationToken)
    {
        await CollectGarbageAsync(["silo"], cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> KillGatewayAsync(int index, CancellationToken cancellationToken)
    {
        if (!_gateways.TryGetValue(index, out var g))
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"there are {_gateways.Count} gateways");
        }
        await g.Child.StopAsync().ConfigureAwait(false);
        _children.Remove(g.Child);
        return true;
    }

    public async Task RestartGatewayAsync(int index, CancellationToken cancellationToken)
    {
        var (old, admin) = _gateways[index];
        if (_children.Contains(old))
        {
            throw new InvalidOperationException($"{old.Name} is still running; kill it first");
        }
        var child = StartGateway(index, admin);
        await child.WaitReadyAsync(ReadyTimeout, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Summed over the mesh processes (not Redis, not this process).</summary>
    public ProcessCost Cost()
    {
        double cpu = 0, rss = 0;
        foreach (var c in _children.Where(c => c.Name != "redis"))
        {
            try
            {
                c.Process.Refresh();
                cpu += c.Process.TotalProcessorTime.TotalSeconds;
                rss += c.Process.PeakWorkingSet64 / 1048576.0;
            }
            catch (InvalidOperationException)
            {
                // Exited: its share is lost.
            }
        }
        return new ProcessCost(Math.Round(cpu, 2), Math.Round(rss, 1), $"summed over {_children.Count - 1} mesh processes (silo, ingest, gateways), excluding Redis and the proxies");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        // Gateways first (proxies see their streams end), Redis last.
        foreach (var c in Enumerable.Reverse(_children))
        {
            await c.StopAsync().ConfigureAwait(false);
        }
        try
        {
            Directory.Delete(_redisDir, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in /tmp: harmless.
        }
    }

    private static async Task<ClusterTarget> StartSiloAsync(CancellationToken cancellationToken)
    {
        var redisPort = LoopbackPort.Next();
        var target = new ClusterTarget(redisPort);
        try
        {
            var redis = target.Start("redis", "redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", target._redisDir], null, null);
            await redis.WaitReadyAsync(ReadyTimeout, redisPort, cancellationToken).ConfigureAwait(false);
            var silo = target.StartDotnet("silo", "Mesh.Silo.dll", new() { ["Mesh__SiloPort"] = Port(), ["Mesh__GatewayPort"] = Port() });
            await silo.WaitReadyAsync(ReadyTimeout, null, cancellationToken).ConfigureAwait(false);
            return target;
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Port() => LoopbackPort.Next().ToString(CultureInfo.InvariantCulture);

    private Child StartGateway(int index, int adminPort)
    {
        var child = StartDotnet($"gateway{index}", "Mesh.XdsGateway.dll", new() { ["Mesh__XdsPort"] = _xdsPorts[index].ToString(CultureInfo.InvariantCulture) }, adminPort);
        _gateways[index] = (child, adminPort);
        return child;
    }

    private Child StartDotnet(string name, string dll, Dictionary<string, string> env, int? adminPort = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{dll} is not next to the load tool; build loadtest/Mesh.LoadTest (it references the Silo, Ingest and gateway projects).", path);
        }
        return Start(name, "dotnet", [path], env, adminPort ?? LoopbackPort.Next());
    }

    private Child Start(string name, string file, IEnumerable<string> args, Dictionary<string, string>? env, int? adminPort)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var (k, v) in _env)
        {
            psi.Environment[k] = v;
        }
        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }
        if (adminPort is { } admin)
        {
            psi.Environment["Mesh__AdminPort"] = admin.ToString(CultureInfo.InvariantCulture);
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new LoadToolSetupException($"could not start {name} ({file})");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            var fix = file == "redis-server"
                ? "install it (apt-get install -y redis-server; scripts/test.sh installs it when missing)"
                : $"check that {file} is installed and on PATH";
            throw new LoadToolSetupException($"could not start {name}: {file}: {ex.Message}; {fix}", ex);
        }
        var child = new Child(name, process, adminPort);
        _children.Add(child);
        return child;
    }

    /// <summary>One child process with the tail of its output (for errors).</summary>
    private sealed class Child
    {
        private const int TailLines = 30;
        private readonly ConcurrentQueue<string> _tail = new();

        public Child(string name, Process process, int? adminPort)
        {
            Name = name;
            Process = process;
            AdminPort = adminPort;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }

        public Process Process { get; }

        public int? AdminPort { get; }

        public string Tail => string.Join("\n", _tail.Select(l => $"  [{Name}] {l}"));

        public async Task WaitReadyAsync(TimeSpan timeout, int? tcpPort, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            var clock = Stopwatch.StartNew();
            var last = "";
            while (clock.Elapsed < timeout)
            {
                if (Process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited with code {Process.ExitCode} before it was ready:\n{Tail}");
                }
                try
                {
                    if (tcpPort is { } p)
                    {
                        using var tcp = new TcpClient();
                        await tcp.ConnectAsync(IPAddress.Loopback, p, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    using var r = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{AdminPort}/readyz")), cancellationToken).ConfigureAwait(false);
                    last = ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture);
                    if (r.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException)
                {
                    last = ex.Message;
                }
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            throw new TimeoutException($"{Name} not ready after {timeout.TotalSeconds:0} s (last /readyz: {last}):\n{Tail}");
        }

        /// <summary>Kills the process by its PID and waits up to 10 s for it to go.</summary>
        public async Task StopAsync()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: false);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await Process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                // Already gone, or did not die within 10 s (reported by nobody; the OS reaps it).
            }
            finally
            {
                Process.Dispose();
            }
        }

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }
            _tail.Enqueue(line);
            while (_tail.Count > TailLines && _tail.TryDequeue(out _))
            {
            }
        }
    }
}
