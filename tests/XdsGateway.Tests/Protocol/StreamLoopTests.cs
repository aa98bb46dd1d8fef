using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Net.Client;
using Mesh.Model.Translation;
using Mesh.Testing;
using Xunit.Abstractions;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// A proxy that stops reading must cost the gateway neither memory nor other proxies' latency:
/// changes coalesce per type (latest wins) and one response per type is in flight until ACKed
/// so nothing queues behind a stalled stream.
/// </summary>
[Collection(nameof(MemoryMeasured))]
[Trait("Category", "Functional")]
public sealed class StreamLoopTests(ITestOutputHelper output)
{
    private const int Changes = 500;
    private const int BodySize = 256 * 1024;
    private const long MemoryBound = 20L * 1024 * 1024;

    /// <summary>Cluster "big" whose body is about <see cref="BodySize"/> bytes from revision 1 on (revision 0 is small).</summary>
    private static XdsResource BigCluster(int revision) => XdsResource.From(TypeUrls.Cluster, "big", new Cluster
    {
        Name = "big",
        AltStatName = revision.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + (revision == 0 ? "" : new string('x', BodySize)),
    });

    private static string VersionOf(XdsResource resource) => ContentHash.OfVersions([KeyValuePair.Create(resource.Name, resource.Version)]);

    private static long ManagedBytesAfterFullGc()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<FakeProxyWatch> WatchOfAsync(FakeConfigWatcher watcher, string pod, Func<FakeProxyWatch, bool> ready)
    {
        using var timeout = new CancellationTokenSource(AdsTestClient.DefaultTimeout);
        while (true)
        {
            var watch = watcher.Watches.FirstOrDefault(w => w.Node.Id.Contains($"~{pod}.", StringComparison.Ordinal));
            if (watch is not null && ready(watch))
            {
                return watch;
            }

            try
            {
                await Task.Delay(10, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new XdsExpectationException($"[setup] stalled proxy {pod} did not reach the expected state within {AdsTestClient.DefaultTimeout.TotalSeconds:0} s");
            }
        }
    }

    private static bool HasSent(FakeProxyWatch watch, params string[] typeUrls) => typeUrls.All(t => watch.Sent.Any(s => s.TypeUrl == t));

    [Fact]
    public async Task StreamLoop_ProxyStopsReading_GetsOneResponsePerType_OthersGetEveryChange_MemoryStaysFlat_X14_R03()
    {
        var watcher = new FakeConfigWatcher();
        await using var server = await XdsTestServer.StartAsync(watcher);
        watcher.Set(TypeUrls.Cluster, BigCluster(0));
        watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("e"));
        await using var healthy = server.Connect(TestNodes.Sidecar(pod: "healthy"));
        await healthy.RequestAsync(TypeUrls.Cluster);
        await healthy.AckAsync(await healthy.ExpectResponseAsync(TypeUrls.Cluster));

        // Two proxies on their own connections (as Envoy) send their requests, then never read or
        // ACK: their first, small responses stay in flight.
        using var sotwChannel = GrpcChannel.ForAddress(server.Address);
        using var deltaChannel = GrpcChannel.ForAddress(server.Address);
        using var lateChannel = GrpcChannel.ForAddress(server.Address);
        using var stalledSotw = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(sotwChannel).StreamAggregatedResources();
        using var stalledDelta = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(deltaChannel).DeltaAggregatedResources();
        using var stalledLate = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(lateChannel).StreamAggregatedResources();
        await stalledSotw.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = TestNodes.Sidecar(pod: "stalled-sotw") });
        await stalledSotw.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNames = { "e" } });
        await stalledDelta.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = TestNodes.Sidecar(pod: "stalled-delta") });
        await stalledDelta.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { "e" } });
        var sotw = await WatchOfAsync(watcher, "stalled-sotw", w => HasSent(w, TypeUrls.Cluster, TypeUrls.Endpoint));
        var delta = await WatchOfAsync(watcher, "stalled-delta", w => HasSent(w, TypeUrls.Cluster, TypeUrls.Endpoint));

        // A third subscribes once the cluster is big: its first response outgrows the client's
        // flow-control window, so the gateway's write to it blocks.
        var first = BigCluster(1);
        watcher.Set(TypeUrls.Cluster, first);
        await healthy.AckAsync(await healthy.ExpectResponseAsync(TypeUrls.Cluster));
        await stalledLate.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = TestNodes.Sidecar(pod: "stalled-late") });
        var late = await WatchOfAsync(watcher, "stalled-late", w => w.SubscriptionOf(TypeUrls.Cluster) is not null);
        var before = ManagedBytesAfterFullGc();

        for (var i = 2; i <= Changes; i++)
        {
            var cluster = BigCluster(i);
            watcher.Set(TypeUrls.Cluster, cluster);
            var response = await healthy.ExpectResponseAsync(TypeUrls.Cluster);
            Assert.Equal(VersionOf(cluster), response.VersionInfo);
            await healthy.AckAsync(response);
        }

        var after = ManagedBytesAfterFullGc();
        output.WriteLine($"responses sent without an ACK: stalled-sotw {sotw.Sent.Count}, stalled-delta {delta.Sent.Count}, stalled-late (write blocked) {late.Sent.Count}");
        output.WriteLine($"managed heap before {before / 1024} KiB, after {Changes - 1} changes of {BodySize / 1024} KiB: {after / 1024} KiB (growth {(after - before) / 1024} KiB)");
        foreach (var watch in new[] { sotw, delta })
        {
            Assert.All(TypeUrls.PushOrder, t => Assert.True(watch.Sent.Count(s => s.TypeUrl == t) <= 1, $"{watch.Node.Id} was sent {watch.Sent.Count(s => s.TypeUrl == t)} {t} responses without an ACK"));
        }

        Assert.Equal(VersionOf(BigCluster(0)), sotw.Sent.Single(s => s.TypeUrl == TypeUrls.Cluster).Version);

        Assert.True(late.Sent.Count <= 1, $"the proxy whose write is blocked was sent {late.Sent.Count} responses");
        Assert.True(after - before < MemoryBound, $"managed heap grew by {(after - before) / 1024} KiB over {Changes - 1} changes of {BodySize / 1024} KiB; bound {MemoryBound / 1024} KiB");
    }
}
