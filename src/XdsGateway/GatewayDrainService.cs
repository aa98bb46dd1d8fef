using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway;

/// <summary>
/// Drains the gateway when the host stops (SIGTERM): refuse new streams, end open ones over
/// <see cref="XdsGatewayOptions.DrainWindow"/>. The drain starts on ApplicationStopping, before any
/// hosted service (the web server included) stops, because the server's stop waits for open
/// streams to end; this service's stop then waits for the drain to finish.
/// </summary>
internal sealed partial class GatewayDrainService(
    StreamDrain drain,
    IHostApplicationLifetime lifetime,
    IOptions<XdsGatewayOptions> options,
    ILogger<GatewayDrainService> logger) : IHostedService
{
    private readonly object _lock = new();
    private Task? _draining;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => StartDrain());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => StartDrain().WaitAsync(cancellationToken);

    private Task StartDrain()
    {
        lock (_lock)
        {
            return _draining ??= DrainAsync();
        }
    }

    private async Task DrainAsync()
    {
        var open = drain.OpenStreams;
        LogDraining(logger, open, options.Value.DrainWindow);
        await drain.DrainAsync(options.Value.DrainWindow, CancellationToken.None).ConfigureAwait(false);
        LogDrained(logger, open);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: refusing new xDS streams and ending {Streams} open ones over {Window}")]
    private static partial void LogDraining(ILogger logger, int streams, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained {Streams} xDS streams")]
    private static partial void LogDrained(ILogger logger, int streams);
}
