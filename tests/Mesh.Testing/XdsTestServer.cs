using System.Net;
using Envoy.Config.Core.V3;
using Mesh.XdsGateway;
using Mesh.XdsGateway.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing;

/// <summary>
/// Hosts <see cref="AdsService"/> in Kestrel on 127.0.0.1 with a free port (HTTP/2 plaintext), wired
/// as a real host would: <c>AddGrpc</c>, <c>AddXdsGateway</c>, an <see cref="IConfigWatcher"/>,
/// <c>MapGrpcService&lt;AdsService&gt;</c>. Tests talk to it over real sockets.
/// </summary>
public sealed class XdsTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private XdsTestServer(WebApplication app, Uri address, CapturingLoggerProvider logs)
    {
        _app = app;
        Address = address;
        Logs = logs;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public CapturingLoggerProvider Logs { get; }

    public static async Task<XdsTestServer> StartAsync(IConfigWatcher watcher, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(watcher);
        builder.Services.AddXdsGateway();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapGrpcService<AdsService>();
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address");
        return new XdsTestServer(app, new Uri(address), logs);
    }

    /// <summary>A client for <paramref name="node"/> (default: a bookinfo sidecar).</summary>
    public AdsTestClient Connect(Node? node = null) => new(Address, node ?? TestNodes.Sidecar());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Logs.Dispose();
    }
}
