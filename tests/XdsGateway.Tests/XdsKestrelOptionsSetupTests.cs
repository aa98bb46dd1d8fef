using Envoy.Service.Discovery.V3;
using Grpc.Net.Client;
using Mesh.Model.Translation;
using Mesh.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Mesh.XdsGateway.Tests;

/// <summary>Kestrel is sized for many long-lived ADS streams per process, from the <c>Xds</c> section.</summary>
[Collection(nameof(MemoryMeasured))]
[Trait("Category", "Functional")]
public sealed class XdsKestrelOptionsSetupTests(ITestOutputHelper output)
{
    /// <summary>Target: at most this much gateway memory per connected proxy (client side included here).</summary>
    private const long BytesPerStreamBudget = 30 * 1024;

    [Fact]
    public void Configure_AppliesTheXdsKnobsToKestrelLimits()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Xds:MaxStreamsPerConnection"] = "2000",
            ["Xds:MaxConnections"] = "50000",
            ["Xds:KeepAlivePingDelay"] = "00:01:00",
        }).Build());
        services.AddLogging().AddSingleton<Mesh.XdsGateway.Protocol.IConfigWatcher>(new FakeConfigWatcher()).AddXdsGateway();
        using var provider = services.BuildServiceProvider();

        var limits = provider.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        Assert.Equal(2000, limits.Http2.MaxStreamsPerConnection);
        Assert.Equal(50_000, limits.MaxConcurrentConnections);
        Assert.Equal(TimeSpan.FromMinutes(1), limits.Http2.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), limits.Http2.KeepAlivePingTimeout);
        Assert.Equal(65_535, limits.Http2.InitialStreamWindowSize);
        Assert.Equal(128 * 1024, limits.Http2.InitialConnectionWindowSize);
    }

    [Fact]
    public async Task Gateway_ManyStreamsOnOneConnection_AreAllServed_WithinThePerProxyMemoryBudget()
    {
        // Kestrel's default of 100 streams per connection would leave most of these queued.
        const int Streams = 300;
        var watcher = new FakeConfigWatcher();
        watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"), TestResources.Cluster("b"));
        // Captured log lines would count as per-stream memory: keep only warnings.
        await using var server = await XdsTestServer.StartAsync(watcher, s => s.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Warning));
        using var channel = GrpcChannel.ForAddress(server.Address);
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        var calls = new List<Grpc.Core.AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse>>();
        try
        {
            await OpenAsync(client, calls, "warm-up-0");
            var before = ManagedBytesAfterFullGc();
            for (var i = 1; i <= Streams; i++)
            {
                await OpenAsync(client, calls, $"proxy-{i}");
            }

            var perStream = (ManagedBytesAfterFullGc() - before) / Streams;
            output.WriteLine($"{Streams} streams on one connection: {perStream} bytes of managed heap per stream (gateway and client)");
            Assert.Equal(Streams + 1, watcher.Watches.Count);
            Assert.True(perStream < BytesPerStreamBudget, $"{perStream} bytes per stream; budget {BytesPerStreamBudget}");
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }

    private static async Task OpenAsync(
        AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client,
        List<Grpc.Core.AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse>> calls,
        string pod)
    {
        var call = client.StreamAggregatedResources();
        calls.Add(call);
        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = TestNodes.Sidecar(pod: pod) });
        using var timeout = new CancellationTokenSource(AdsTestClient.DefaultTimeout);
        if (!await call.ResponseStream.MoveNext(timeout.Token))
        {
            throw new XdsExpectationException($"[open {pod}] the stream ended before its first response");
        }
    }

    private static long ManagedBytesAfterFullGc()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
