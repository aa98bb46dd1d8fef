using System.Globalization;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// scripts/backend.py: one Python process with one gRPC echo server per name, each on its own
/// free port of 127.0.0.1, answering <c>/mesh.test.Echo/Who</c> with its name.
/// </summary>
internal sealed class BackendProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly IReadOnlyDictionary<string, int> _ports;

    private BackendProcess(ChildProcess process, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        _ports = ports;
    }

    public ProcessOutput Output => _process.Output;

    public int Port(string name) => _ports.TryGetValue(name, out var port)
        ? port
        : throw new ArgumentException($"No backend named {name}; started: {string.Join(", ", _ports.Keys)}", nameof(name));

    public static async Task<BackendProcess> StartAsync(params string[] names)
    {
        // A free port can be taken between FreePort.Next and the bind: try fresh ports a few times.
        for (var attempt = 1; ; attempt++)
        {
            var ports = names.ToDictionary(name => name, _ => FreePort.Next());
            var arguments = new List<string> { "-u", RepoPaths.Script("backend.py") };
            foreach (var (name, port) in ports)
            {
                arguments.Add("--listen");
                arguments.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={port}"));
            }

            var process = ChildProcess.Start("backend.py", RepoPaths.Python, arguments);
            try
            {
                var line = await process.ReadLineAsync(ReadyTimeout, "\"READY\" from backend.py");
                if (line.Trim() == "READY")
                {
                    return new BackendProcess(process, ports);
                }

                throw new InvalidOperationException($"backend.py: expected \"READY\", got \"{line}\".\n{process.Output.Tail()}");
            }
            catch (InvalidOperationException) when (attempt < 3 && process.HasExited)
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
