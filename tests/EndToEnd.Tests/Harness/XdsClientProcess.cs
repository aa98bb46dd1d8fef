using System.Globalization;
using System.Text.Json;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>Which real gRPC xDS client a test drives.</summary>
internal enum GrpcClient
{
    /// <summary>scripts/xds_client.py on Debian's python3-grpcio (C-core 1.51).</summary>
    CCore,

    /// <summary>scripts/xds_client.js on npm's @grpc/grpc-js-xds (pure JavaScript).</summary>
    GrpcJs,
}

/// <summary>
/// A real proxyless gRPC client — scripts/xds_client.py (grpcio C-core) or scripts/xds_client.js
/// (grpc-js-xds), the same line protocol — with one channel to an <c>xds:///</c> target for its
/// whole life, driven by commands on stdin.
/// </summary>
internal sealed class XdsClientProcess : IAsyncDisposable
{
    public const string DefaultNodeId = "sidecar~127.0.0.1~client-1.default~default.svc.cluster.local";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly string _bootstrap;

    private XdsClientProcess(ChildProcess process, string target, string bootstrap)
    {
        _process = process;
        _bootstrap = bootstrap;
        Target = target;
    }

    public string Target { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public ProcessOutput Output => _process.Output;

    /// <summary>Starts the client; set <c>MESH_E2E_GRPC_TRACE</c> (e.g. <c>xds_client,xds_resolver</c>) for gRPC's own traces.</summary>
    public static async Task<XdsClientProcess> StartAsync(
        int xdsPort, string target, string nodeId = DefaultNodeId, string nodeNamespace = "default", IReadOnlyDictionary<string, string>? labels = null, GrpcClient client = GrpcClient.CCore, string? locality = null)
    {
        var bootstrap = Path.Combine(Path.GetTempPath(), $"mesh-e2e-bootstrap-{Guid.NewGuid():N}.json");
        var environment = new Dictionary<string, string>();
        if (Environment.GetEnvironmentVariable("MESH_E2E_GRPC_TRACE") is { Length: > 0 } trace)
        {
            environment["GRPC_TRACE"] = trace;
            environment["GRPC_VERBOSITY"] = "DEBUG";
        }

        if (client == GrpcClient.GrpcJs)
        {
            environment["NODE_PATH"] = await GrpcJsModules.PathAsync();
        }
        var (name, executable, prefix) = client == GrpcClient.GrpcJs
            ? ("xds_client.js", "node", new[] { RepoPaths.Script("xds_client.js") })
            : ("xds_client.py", RepoPaths.Python, new[] { "-u", RepoPaths.Script("xds_client.py") });
        var process = ChildProcess.Start(
            name,
            executable,
            [
                .. prefix,
                "--target", target,
                "--xds-port", xdsPort.ToString(CultureInfo.InvariantCulture),
                "--bootstrap", bootstrap,
                "--node-id", nodeId,
                "--namespace", nodeNamespace,
                .. (labels ?? new Dictionary<string, string>()).SelectMany(l => new[] { "--label", $"{l.Key}={l.Value}" }),
                .. locality is null ? [] : new[] { "--locality", locality },
            ],
            environment);
        try
        {
            var line = await process.ReadLineAsync(StartTimeout, "{\"started\": true} from xds_client.py");
            if (!line.Contains("\"started\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"xds_client.py: expected {{\"started\": true}}, got \"{line}\".\n{process.Output.Tail()}");
            }

            return new XdsClientProcess(process, target, bootstrap);
        }
        catch
        {
            await process.DisposeAsync();
            File.Delete(bootstrap);
            throw;
        }
    }

    /// <summary>
    /// <paramref name="calls"/> unary RPCs over the client's one channel, each carrying
    /// <paramref name="metadata"/> as request headers (lowercase names, no spaces). The client
    /// stops early after <paramref name="budget"/> (then <see cref="ClientCounts.Incomplete"/> is
    /// true), so a batch of 2 s timeouts cannot stall the test.
    /// </summary>
    public async Task<ClientCounts> CountAsync(int calls, TimeSpan budget, params (string Name, string Value)[] metadata)
    {
        var seconds = budget.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
        var command = string.Create(CultureInfo.InvariantCulture, $"count {calls} {seconds}");
        foreach (var (name, value) in metadata)
        {
            if (name.Any(char.IsWhiteSpace) || value.Any(char.IsWhiteSpace) || name.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Header {name}={value} cannot be sent over xds_client.py's line protocol (no spaces, no '=' in the name).", nameof(metadata));
            }
            command += $" {name}={value}";
        }
        await _process.WriteLineAsync(command);
        // The budget bounds new calls; one more RPC timeout (2 s) plus Python start-up slack bounds the answer.
        var line = await _process.ReadLineAsync(budget + TimeSpan.FromSeconds(15), $"the answer to \"{command}\"");
        try
        {
            return JsonSerializer.Deserialize<ClientCounts>(line)
                ?? throw new InvalidOperationException($"xds_client.py answered null to \"count {calls}\".");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"xds_client.py: expected a JSON counts line, got \"{line}\".\n{Output.Tail()}", e);
        }
    }

    /// <summary><paramref name="calls"/> unary RPCs started at once over the one channel, each carrying <paramref name="metadata"/>.</summary>
    public async Task<ClientCounts> ConcurrentAsync(int calls, params (string Name, string Value)[] metadata)
    {
        var command = string.Create(CultureInfo.InvariantCulture, $"concurrent {calls}");
        foreach (var (name, value) in metadata)
        {
            command += $" {name}={value}";
        }
        await _process.WriteLineAsync(command);
        var line = await _process.ReadLineAsync(TimeSpan.FromSeconds(30), $"the answer to \"{command}\"");
        return JsonSerializer.Deserialize<ClientCounts>(line)
            ?? throw new InvalidOperationException($"the client answered null to \"{command}\".");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        File.Delete(_bootstrap);
    }
}
