using System.Net;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Silo;
using Microsoft.AspNetCore.Builder;

namespace Mesh.EndToEnd.Tests.Support;

/// <summary>The embedded default hosted in the test process on free loopback ports, over a temp manifest directory.</summary>
public sealed class InProcessMesh : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessMesh(WebApplication app, SiloOptions options)
    {
        _app = app;
        Options = options;
    }

    public SiloOptions Options { get; }

    public Uri XdsAddress => new($"http://127.0.0.1:{Options.XdsPort}");

    public Uri AdminAddress => new($"http://127.0.0.1:{Options.AdminPort}");

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the mesh; <paramref name="configuration"/> are extra <c>--Section:Key=value</c> settings.</summary>
    public static async Task<InProcessMesh> StartAsync(string manifests, params string[] configuration)
    {
        var options = new SiloOptions(manifests, IPAddress.Loopback, FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        var app = MeshHost.Build(options, configuration);
        await app.StartAsync();
        var mesh = new InProcessMesh(app, options);
        using var http = new HttpClient { BaseAddress = mesh.AdminAddress };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var r = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            if (r.IsSuccessStatusCode)
            {
                return mesh;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"mesh over {manifests} not ready after 30 s: {await r.Content.ReadAsStringAsync()}");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
