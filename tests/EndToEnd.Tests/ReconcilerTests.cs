using Mesh.EndToEnd.Tests.Support;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Ingest.Status;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// The ingest's reconciler: grain state lost behind its back (as on a Redis failover, R-06) is
/// re-derived from the source of truth within one resync period, with no manual step.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ReconcilerTests : IAsyncLifetime
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(4);
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-rec-").FullName;
    private InProcessMesh _mesh = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), """
            apiVersion: v1
            kind: Service
            metadata: {name: a, namespace: rec}
            spec: {clusterIP: 10.96.9.1, selector: {app: a}, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: a-1, namespace: rec, labels: {app: a}}
            status: {podIP: 10.9.0.1, phase: Running}
            """);
        _mesh = await InProcessMesh.StartAsync(_dir, $"--Manifests:ResyncInterval={Resync:c}");
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task LostServiceState_IsRederivedFromTheSource_AndProxiesGetItBack()
    {
        var cluster = ResourceNames.OutboundCluster(80, null, "a.rec.svc.cluster.local");
        var removedAt = new System.Collections.Concurrent.ConcurrentQueue<DateTime>();
        await using var proxy = new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode("client-1-x", "rec", "10.9.9.9", new Dictionary<string, string> { ["app"] = "client" }),
            Gateways = [_mesh.XdsAddress],
            // Recorded as it arrives: a loss repaired quickly is a short gap that polling could miss.
            OnUpdate = u =>
            {
                if (u.Removed && u.TypeUrl == TypeUrls.Cluster && u.Name == cluster)
                {
                    removedAt.Enqueue(u.ReceivedAt);
                }
            },
        });
        await proxy.StartAsync();
        await Until(() => proxy.Holds(TypeUrls.Cluster, cluster), "the proxy to hold a's cluster");

        // Lose the state just after a resync, so the loss has a whole period to reach the proxy
        // before the next one repairs it (a repair that lands first is coalesced away, and the test
        // could not tell a repair from nothing having happened).
        var status = _mesh.Services.GetRequiredService<IngestStatus>();
        var applies = status.Current.Applies;
        await Until(() => status.Current.Applies > applies, "a resync of the source");

        // Storage loses the service's state; the ingest still believes it applied it.
        var lostAt = DateTime.UtcNow;
        await _mesh.Services.GetRequiredService<IGrainFactory>().GetGrain<IServiceGrain>(ServiceKey.From("a.rec.svc.cluster.local"))
            .UpdateAsync(new ServiceUpdate { Removed = true });
        var appliesAtLoss = status.Current.Applies;
        await Until(() => !removedAt.IsEmpty, "the loss to reach the proxy (a's cluster removed)");

        await Until(() => proxy.Holds(TypeUrls.Cluster, cluster) && proxy.Holds(TypeUrls.Endpoint, cluster),
            "the reconciler to restore a's cluster and endpoints");
        Assert.True(status.Current.Applies > appliesAtLoss, "awaited the restore to come from a resync of the source");
        Assert.True(removedAt.TryPeek(out var removed) && removed >= lostAt, $"awaited the removal after the loss at {lostAt:O}; saw {removed:O}");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after 20 s waiting for {what}");
            }
            await Task.Delay(50);
        }
    }
}
