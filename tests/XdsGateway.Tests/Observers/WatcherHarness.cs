using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>A <see cref="GrainConfigWatcher"/> over <see cref="FakeGrains"/>, and waiting for a stream's complete set.</summary>
internal static class WatcherHarness
{
    public static GrainConfigWatcher Create(FakeGrains grains, ServiceProvider services) =>
        new(grains.Factory, new GatewayIdentity("gw-test"), TimeProvider.System,
            new XdsMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<GrainConfigWatcher>.Instance);

    /// <summary>The stream's set of <paramref name="typeUrl"/> once complete (its services loaded), or the last one after 5 s.</summary>
    public static async Task<ResolvedResources> ResolveCompleteAsync(GrainProxyWatch watch, string typeUrl)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            var r = await watch.ResolveAsync(typeUrl);
            if (r.Complete || timeout.IsCancellationRequested)
            {
                return r;
            }
            await Task.Delay(5, CancellationToken.None);
        }
    }
}
