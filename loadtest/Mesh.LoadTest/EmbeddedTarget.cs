using System.Globalization;
using System.Net;
using Mesh.LoadTest.Proxies;
using Mesh.Silo;
using Microsoft.AspNetCore.Builder;

namespace Mesh.LoadTest;

/// <summary>The embedded control plane (silo + gateway + ingest + admin) hosted in this process on free loopback ports.</summary>
internal sealed class EmbeddedTarget : IMeshTarget
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly WebApplication _app;

    private EmbeddedTarget(WebApplication app, SiloOptions options)
    {
        _app = app;
        Options = options;
    }

    public SiloOptions Options { get; }

    public IReadOnlyList<Uri> Gateways => [new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Options.XdsPort}"))];

    public Uri Admin => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Options.AdminPort}"));

    /// <summary>Starts the mesh over <paramref name="manifests"/> and waits for <c>/readyz</c>.</summary>
    public static async Task<EmbeddedTarget> StartAsync(string manifests, CancellationToken cancellationToken)
    {
        var (app, options) = await LoopbackPort.StartWithRetryAsync(async () =>
        {
            var options = new SiloOptions(manifests, IPAddress.Loopback, LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next());
            // The control plane's own logs would interleave with the live view; warnings and errors still show.
            var app = MeshHost.Build(options, ["--Logging:LogLevel:Default=Warning"]);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return (app, options);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }).ConfigureAwait(false);
        var target = new EmbeddedTarget(app, options);
        using var http = new HttpClient { BaseAddress = target.Admin, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            using var r = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (r.IsSuccessStatusCode)
            {
                return target;
            }
            if (DateTime.UtcNow > deadline)
            {
                await target.DisposeAsync().ConfigureAwait(false);
                throw new TimeoutException($"embedded mesh over {manifests} not ready after {ReadyTimeout.TotalSeconds} s");
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public Uri? IngestAdmin => Admin;

    public ProcessCost Cost() => ProcessCost.Now();

    public async Task<IReadOnlyList<ProcessSample>> SampleAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = await MetricsScrape.ReadAsync(http, Admin, cancellationToken).ConfigureAwait(false);
        return [ProcessSample.OfThisProcess("embedded", metrics)];
    }

    public Task CollectGatewayGarbageAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> CollectSiloGarbageAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    public Task<bool> KillGatewayAsync(int index, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task RestartGatewayAsync(int index, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the embedded target has one in-process gateway; use --cluster");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
