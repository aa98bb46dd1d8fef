using System.Net;
using Grpc.AspNetCore.Server.Model;
using Mesh.Model.Translation;
using Mesh.XdsGateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// The transport ceiling for the <c>limit</c> scenario: Kestrel (h2c on 127.0.0.1, a free port)
/// serving ADS, SotW and delta, with no control-plane logic. Per type and version it serializes one
/// <c>DiscoveryResponse</c> and one <c>DeltaDiscoveryResponse</c> (the full set, plus, for pushes,
/// what changed) and writes those same arrays to every stream through a pass-through marshaller.
/// Every client sees every resource: no name filtering, no per-stream diffing.
/// </summary>
internal sealed class LimitServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LimitHub _hub;
    private int _disposed;

    private LimitServer(WebApplication app, LimitHub hub, Uri address)
    {
        _app = app;
        _hub = hub;
        Address = address;
    }

    /// <summary>The h2c address proxies connect to (<c>http://127.0.0.1:PORT</c>).</summary>
    public Uri Address { get; }

    /// <summary>Responses whose write completed, of every type.</summary>
    public long ResponsesWritten => _hub.ResponsesWritten;

    /// <summary>Serialized message bytes of those responses (without gRPC framing).</summary>
    public long BytesWritten => _hub.BytesWritten;

    public int OpenStreams => _hub.OpenStreams;

    /// <summary>Responses of one type whose write completed.</summary>
    public long ResponsesWrittenOf(string typeUrl) => _hub.ResponsesWrittenOf(typeUrl);

    public static async Task<LimitServer> StartAsync(IReadOnlyList<XdsResource> resources, CancellationToken cancellationToken)
    {
        var hub = new LimitHub(resources);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The gateway's transport limits (streams per connection, flow-control windows, keepalive), so the ceiling is measured under the same ones.
            new XdsKestrelOptionsSetup(Options.Create(new XdsGatewayOptions())).Configure(k);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        // As Mesh's gateway (GatewayHost), so both sides run with the same gRPC limits.
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddSingleton(hub);
        builder.Services.AddSingleton<IServiceMethodProvider<LimitHub>, LimitAdsMethods>();
        var app = builder.Build();
        try
        {
            app.MapGrpcService<LimitHub>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            return new LimitServer(app, hub, new Uri(address));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            hub.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds or replaces resources of one type, serializes the new version once and queues it to every
    /// stream subscribed to the type (delta streams get the changed resources; SotW streams the whole
    /// set for CDS/LDS, the changed resources for EDS/RDS). Completes once queued, not once written:
    /// the result is the number of streams it was queued to, and the proxies' update timestamps or
    /// <see cref="ResponsesWrittenOf"/> tell when it arrived.
    /// </summary>
    public Task<int> ReplaceAsync(IReadOnlyList<XdsResource> resources) => _hub.ReplaceAsync(resources);

    /// <inheritdoc cref="ReplaceAsync(IReadOnlyList{XdsResource})"/>
    public Task<int> ReplaceAsync(XdsResource resource) => _hub.ReplaceAsync([resource]);

    /// <summary>Ends every stream (status OK), then stops Kestrel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _hub.StopAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _hub.Dispose();
    }
}
