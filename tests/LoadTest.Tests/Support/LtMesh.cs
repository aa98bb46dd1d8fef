using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Mesh.LoadTest.Proxies;
using Mesh.Silo;
using Microsoft.AspNetCore.Builder;

namespace Mesh.LoadTest.Tests.Support;

/// <summary>
/// The embedded control plane on free loopback ports over a temp manifest directory holding
/// namespace <c>lt</c>: Services a, b and c (port 80 named http) each selecting one Running Pod.
/// </summary>
public sealed class LtMesh : IAsyncDisposable
{
    public const string Ns = "lt";
    private readonly WebApplication _app;
    private readonly string _dir;

    private LtMesh(WebApplication app, SiloOptions options, string dir)
    {
        _app = app;
        Options = options;
        _dir = dir;
    }

    public SiloOptions Options { get; }

    /// <summary>How many times the ingest has applied the manifests to the grains.</summary>
    public long Applies => _app.Services.GetRequiredService<Mesh.Ingest.Status.IngestStatus>().Current.Applies;

    public Uri XdsAddress => new($"http://127.0.0.1:{Options.XdsPort}");

    public static async Task<LtMesh> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-lt-").FullName;
        await WriteManifestsAsync(dir, aPodIp: "10.1.0.1");
        var (app, options) = await LoopbackPort.StartWithRetryAsync(async () =>
        {
            var options = new SiloOptions(dir, IPAddress.Loopback, FreePort(), FreePort(), FreePort(), FreePort());
            var app = MeshHost.Build(options, []);
            try
            {
                await app.StartAsync();
                return (app, options);
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        });
        var mesh = new LtMesh(app, options, dir);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{options.AdminPort}") };
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
                await mesh.DisposeAsync();
                throw new TimeoutException($"mesh over {dir} not ready after 30 s: {await r.Content.ReadAsStringAsync()}");
            }
            await Task.Delay(100);
        }
    }

    public static string Cluster(string service) => $"outbound|80||{service}.{Ns}.svc.cluster.local";

    public Task SetPodIpOfAAsync(string ip) => WriteManifestsAsync(_dir, ip);

    /// <summary>Adds Service <paramref name="name"/> (no pods) in its own file.</summary>
    public Task AddServiceAsync(string name, string clusterIp) =>
        File.WriteAllTextAsync(Path.Combine(_dir, $"{name}.yaml"), $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: {{name}}, namespace: {{Ns}}}
            spec: {clusterIP: {{clusterIp}}, ports: [{name: http, port: 80}]}
            """);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A loopback port with nothing listening on it, below the ephemeral range (<see cref="LoopbackPort"/>).</summary>
    public static int FreePort() => LoopbackPort.Next();

    private static Task WriteManifestsAsync(string dir, string aPodIp)
    {
        var docs = new[] { ("a", aPodIp, "10.96.0.1"), ("b", "10.1.0.2", "10.96.0.2"), ("c", "10.1.0.3", "10.96.0.3") }.Select(s => $$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: {{{s.Item1}}}, namespace: {{{Ns}}}}
            spec:
              clusterIP: {{{s.Item3}}}
              selector: {app: {{{s.Item1}}} }
              ports: [{name: http, port: 80, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{{s.Item1}}}-1
              namespace: {{{Ns}}}
              labels: {app: {{{s.Item1}}} }
            spec: {serviceAccountName: {{{s.Item1}}}}
            status: {podIP: {{{s.Item2}}}, phase: Running}
            """);
        // Write then rename, so the watcher never reads a half-written file.
        var tmp = Path.Combine(dir, ".mesh.yaml.tmp");
        File.WriteAllText(tmp, string.Join("\n---\n", docs) + "\n");
        File.Move(tmp, Path.Combine(dir, "mesh.yaml"), overwrite: true);
        return Task.CompletedTask;
    }
}
