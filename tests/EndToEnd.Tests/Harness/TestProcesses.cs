using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// Owns the processes of one test: disposes them in reverse start order (clients before the
/// silo before the backends) and then writes each one's output to the test log, so a failed
/// test shows what the silo and the clients said.
/// </summary>
internal sealed class TestProcesses(ITestOutputHelper log) : IAsyncDisposable
{
    private readonly List<(IAsyncDisposable Process, Func<ProcessOutput> Output)> _owned = [];

    public SiloProcess Add(SiloProcess silo) => Add(silo, () => silo.Output);

    public BackendProcess Add(BackendProcess backend) => Add(backend, () => backend.Output);

    public XdsClientProcess Add(XdsClientProcess client) => Add(client, () => client.Output);

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].Process.DisposeAsync();
        }

        foreach (var (_, output) in _owned)
        {
            try
            {
                log.WriteLine(output().Tail(400));
            }
            catch (InvalidOperationException)
            {
                // xunit refuses output after the test has finished; nothing left to report to.
            }
        }
    }

    private T Add<T>(T process, Func<ProcessOutput> output)
        where T : IAsyncDisposable
    {
        _owned.Add((process, output));
        return process;
    }
}
