using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// The embedded-default silo (silo + xDS gateway + file ingest + admin API) as a real process:
/// <c>dotnet Mesh.Silo.dll --manifests DIR --xds-port N --admin-port M --silo-port S
/// --silo-gateway-port G</c> on free ports, started when <c>GET /readyz</c> answers 200 (or, for a
/// test of the silo before it is ready, <c>GET /healthz</c>). It runs under scripts/stdin_guard.py, so it stops when
/// disposed (stdin closed, SIGTERM, then a kill by PID) and also when the test process dies.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    /// <summary>Overrides the silo to run (path to a Mesh.Silo.dll built elsewhere).</summary>
    public const string SiloDllEnvVar = "MESH_E2E_SILO_DLL";

    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly ChildProcess _process;
    private readonly HttpClient _http;

    private SiloProcess(ChildProcess process, int xdsPort, int adminPort)
    {
        _process = process;
        XdsPort = xdsPort;
        AdminPort = adminPort;
        _http = new HttpClient
        {
            BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{adminPort}")),
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public int XdsPort { get; }

    public int AdminPort { get; }

    public ProcessOutput Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the silo and waits until <c>/readyz</c> answers 200, or only until <c>/healthz</c> does
    /// (the process is up and serving its admin port) when <paramref name="untilReady"/> is false.
    /// </summary>
    public static async Task<SiloProcess> StartAsync(
        string manifestsDir, TimeSpan? readyTimeout = null, IEnumerable<string>? extraArguments = null, bool untilReady = true,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var xdsPort = FreePort.Next();
        var adminPort = FreePort.Next();
        // stdin_guard.py ends the silo when our end of its stdin closes, even if this test process dies.
        var arguments = new List<string> { RepoPaths.Script("stdin_guard.py"), "dotnet" };
        arguments.AddRange(DotnetArguments());
        arguments.AddRange(
        [
            "--manifests", manifestsDir,
            "--xds-port", xdsPort.ToString(CultureInfo.InvariantCulture),
            "--admin-port", adminPort.ToString(CultureInfo.InvariantCulture),
            // Orleans' own ports too, so this silo never collides with another one on the machine.
            "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--silo-gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ]);
        arguments.AddRange(extraArguments ?? []);

        var childEnvironment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        var silo = new SiloProcess(ChildProcess.Start("silo", RepoPaths.Python, arguments, childEnvironment), xdsPort, adminPort);
        try
        {
            await silo.WaitForOkAsync(untilReady ? "/readyz" : "/healthz", readyTimeout ?? DefaultReadyTimeout);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET a JSON endpoint that must answer 200.</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var (status, body) = await GetAsync(path);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} on the silo admin port {AdminPort}: expected 200, got {(int)status}. Body: {body}");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"GET {path}: expected JSON, got: {body}", e);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return _process.DisposeAsync();
    }

    public override string ToString() => Output.Tail();

    /// <summary>
    /// <c>dotnet Mesh.Silo.dll</c> when its runtimeconfig was copied next to it; otherwise
    /// <c>dotnet exec</c> with this test assembly's runtimeconfig and deps (which include the
    /// silo's, because we reference it).
    /// </summary>
    private static IEnumerable<string> DotnetArguments()
    {
        var dll = Environment.GetEnvironmentVariable(SiloDllEnvVar) is { Length: > 0 } custom
            ? custom
            : Path.Combine(AppContext.BaseDirectory, "Mesh.Silo.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Silo not found at {dll}: build tests/EndToEnd.Tests (it references src/Silo) or set {SiloDllEnvVar}.", dll);
        }

        if (File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            return [dll];
        }

        var self = Path.Combine(AppContext.BaseDirectory, typeof(SiloProcess).Assembly.GetName().Name!);
        return ["exec", "--runtimeconfig", self + ".runtimeconfig.json", "--depsfile", self + ".deps.json", dll];
    }

    private async Task WaitForOkAsync(string path, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The silo {_process.ExitDescription} before GET {path} answered 200 (last: {last}).\n{Output.Tail(200)}");
            }

            try
            {
                var (status, body) = await GetAsync(path);
                if (status == HttpStatusCode.OK)
                {
                    Output.Add("test", $"{path} 200 after {clock.Elapsed.TotalSeconds:F1} s");
                    return;
                }

                last = $"{(int)status} {body}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException)
            {
                last = "request timed out";
            }

            await Task.Delay(250);
        }

        throw new TimeoutException(
            $"Timed out after {timeout.TotalSeconds:F0} s waiting for GET http://127.0.0.1:{AdminPort}{path} to answer 200; " +
            $"last: {last}.\n{Output.Tail(200)}");
    }
}
