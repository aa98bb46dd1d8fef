using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.LoadTest.Proxies;
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

    /// <summary>GET on the admin port.</summary>
    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = AdminAddress };
        return await http.GetStringAsync(new Uri(path, UriKind.Relative));
    }

    /// <summary>Scope builds so far (<c>mesh_scope_builds_total</c>, all kinds).</summary>
    public async Task<long> ScopeBuildsAsync()
    {
        var metrics = await GetAsync("/metrics");
        return Regex.Matches(metrics, @"^mesh_scope_builds_total(\{[^}]*\})? (\d+)", RegexOptions.Multiline).Sum(m => long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Waits until no scope has been built and no catalog notification sent for 1.5 s, then returns the builds since <paramref name="before"/>.</summary>
    public async Task<long> SettledBuildsAsync(long before)
    {
        await SettledAsync();
        return await ScopeBuildsAsync() - before;
    }

    /// <summary>Waits until scope and workload builds and catalog notifications have stopped for 1.5 s.</summary>
    public async Task SettledAsync()
    {
        string? last = null;
        var quietSince = DateTime.UtcNow;
        await Eventually.UntilAsync("scope builds and catalog notifications to stop for 1.5 s", TimeSpan.FromSeconds(30), async () =>
        {
            var metrics = await GetAsync("/metrics");
            var now = string.Join('\n', metrics.Split('\n').Where(l =>
                l.StartsWith("mesh_scope_builds_total", StringComparison.Ordinal)
                || l.StartsWith("mesh_catalog_notifications_total", StringComparison.Ordinal)
                || l.StartsWith("mesh_workload_builds_total", StringComparison.Ordinal)));
            if (now != last)
            {
                last = now;
                quietSince = DateTime.UtcNow;
            }
            return DateTime.UtcNow - quietSince;
        }, quiet => quiet >= TimeSpan.FromSeconds(1.5));
    }

    /// <summary>The scope key serving each connected proxy, from <c>/debug/syncz</c>.</summary>
    public async Task<Dictionary<string, string>> ScopeKeysAsync()
    {
        using var syncz = JsonDocument.Parse(await GetAsync("/debug/syncz"));
        return syncz.RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("proxy").GetString()!, p => p.GetProperty("scope").GetString() ?? "");
    }

    /// <summary>Starts the mesh; <paramref name="configuration"/> are extra <c>--Section:Key=value</c> settings.</summary>
    public static Task<InProcessMesh> StartAsync(string manifests, params string[] configuration) =>
        StartAsync(() => new SiloOptions(manifests, IPAddress.Loopback, FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next()), configuration);

    /// <summary>Starts the mesh serving the Kubernetes API at <paramref name="kubeApi"/> (e.g. <c>FakeKubeApiServer</c>) instead of manifests.</summary>
    public static Task<InProcessMesh> StartOnKubernetesAsync(string manifests, Uri kubeApi, params string[] configuration) =>
        StartAsync(() => new SiloOptions(manifests, IPAddress.Loopback, FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next()) { KubeApi = kubeApi.ToString() }, configuration);

    private static async Task<InProcessMesh> StartAsync(Func<SiloOptions> freshOptions, string[] configuration)
    {
        var (app, options) = await LoopbackPort.StartWithRetryAsync(async () =>
        {
            var options = freshOptions();
            var app = MeshHost.Build(options, configuration);
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
        var manifests = options.KubeApi ?? options.ManifestDirectory;
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
