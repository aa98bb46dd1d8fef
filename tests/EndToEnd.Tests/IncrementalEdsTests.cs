using System.Collections.Concurrent;
using Mesh.EndToEnd.Tests.Support;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Incremental EDS through the whole stack (manifest ingest → grains → gateway → delta ADS):
/// three services, three workloads whose Sidecars let them see different subsets, and an endpoint
/// change to one service.
/// </summary>
[Trait("Category", "Functional")]
public sealed class IncrementalEdsTests : IAsyncLifetime
{
    private const string Ns = "inc";
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-inc-").FullName;
    private InProcessMesh _mesh = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Manifests(aPodIp: "10.1.0.1"));
        _mesh = await InProcessMesh.StartAsync(_dir);
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task EndpointChangeToServiceA_SendsOneEdsResource_OnlyToProxiesThatSeeA()
    {
        var clusterA = ResourceNames.OutboundCluster(80, null, Host("a"));
        var clusterB = ResourceNames.OutboundCluster(80, null, Host("b"));
        var clusterC = ResourceNames.OutboundCluster(80, null, Host("c"));
        var updatesA = new ConcurrentQueue<ResourceUpdate>();
        var updatesAb = new ConcurrentQueue<ResourceUpdate>();
        var updatesC = new ConcurrentQueue<ResourceUpdate>();
        await using var seeA = Proxy("client-a", "10.9.0.1", updatesA);
        await using var seeAb = Proxy("client-ab", "10.9.0.2", updatesAb);
        await using var seeC = Proxy("client-c", "10.9.0.3", updatesC);
        // Each proxy comes to hold exactly the clusters (and their EDS) of the services its Sidecar lets it see.
        foreach (var (p, clusters) in new[] { (seeA, new[] { clusterA }), (seeAb, [clusterA, clusterB]), (seeC, [clusterC]) })
        {
            await p.StartAsync();
            await p.WaitUntilAsync(v => Outbound(v).SequenceEqual(clusters) && v.HoldsAll(TypeUrls.Endpoint, clusters) && v.Holds(TypeUrls.Route, "80"),
                TimeSpan.FromSeconds(30));
        }
        // Let any trailing initial pushes land before counting.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var before = new[] { seeA, seeAb, seeC }.Select(p => p.View()).ToList();
        updatesA.Clear();
        updatesAb.Clear();
        updatesC.Clear();

        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Manifests(aPodIp: "10.1.0.99"));

        foreach (var (p, i) in new[] { (seeA, 0), (seeAb, 1) })
        {
            var old = before[i].Version(TypeUrls.Endpoint, clusterA);
            await p.WaitUntilAsync(v => v.Version(TypeUrls.Endpoint, clusterA) != old, TimeSpan.FromSeconds(15));
        }
        // Give any stray push time to arrive before asserting there was none.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        foreach (var (p, i, updates) in new[] { (seeA, 0, updatesA), (seeAb, 1, updatesAb) })
        {
            var now = p.View().Counters;
            var was = before[i].Counters;
            foreach (var type in TypeUrls.PushOrder)
            {
                long expected = type == TypeUrls.Endpoint ? 1 : 0;
                Assert.Equal((type, expected, expected, 0L),
                    (type, now.Responses(type) - was.Responses(type), now.Resources(type) - was.Resources(type), now.Removals(type) - was.Removals(type)));
            }
            var update = Assert.Single(updates);
            Assert.Equal((TypeUrls.Endpoint, clusterA, false), (update.TypeUrl, update.Name, update.Removed));
        }
        Assert.Equal(before[2].Counters.TotalResponses, seeC.View().Counters.TotalResponses);
        Assert.Empty(updatesC);
    }

    [Fact]
    public async Task DeletedManifestFile_RemovesItsServiceFromConnectedProxies()
    {
        // client-all matches no Sidecar, so it sees every service in the namespace.
        var updates = new ConcurrentQueue<ResourceUpdate>();
        await using var proxy = Proxy("client-all", "10.9.0.4", updates);
        var clusterA = ResourceNames.OutboundCluster(80, null, Host("a"));
        var clusterE = ResourceNames.OutboundCluster(80, null, Host("e"));
        await proxy.StartAsync();
        await proxy.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, clusterA), TimeSpan.FromSeconds(30));
        Assert.False(proxy.Holds(TypeUrls.Cluster, clusterE));

        var extra = Path.Combine(_dir, "extra.yaml");
        await File.WriteAllTextAsync(extra, $"""
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: e, namespace: {Ns}{"}"}
            spec: {"{"}clusterIP: 10.96.0.5, ports: [{"{"}name: http, port: 80{"}"}]{"}"}
            """);
        await proxy.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, clusterE), TimeSpan.FromSeconds(15));

        File.Delete(extra);

        await proxy.WaitUntilAsync(v => !v.Holds(TypeUrls.Cluster, clusterE), TimeSpan.FromSeconds(15));
        Assert.Contains(updates, u => u.TypeUrl == TypeUrls.Cluster && u.Name == clusterE && u.Removed);
        Assert.True(proxy.Holds(TypeUrls.Cluster, clusterA));
    }

    private SimulatedProxy Proxy(string app, string ip, ConcurrentQueue<ResourceUpdate> updates) => new(new SimulatedProxyOptions
    {
        Node = SimulatedProxyOptions.SidecarNode($"{app}-6d4f-x1", Ns, ip, new Dictionary<string, string> { ["app"] = app }),
        Mode = ProxyMode.Delta,
        Gateways = [_mesh.XdsAddress],
        OnUpdate = updates.Enqueue,
    });

    private static List<string> Outbound(ProxyView v) =>
        [.. v.Held(TypeUrls.Cluster).Keys.Where(k => k.StartsWith("outbound|", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static string Host(string name) => $"{name}.{Ns}.svc.cluster.local";

    private static string Manifests(string aPodIp)
    {
        var services = string.Join("\n---\n", new[] { ("a", aPodIp, "10.96.0.1"), ("b", "10.1.0.2", "10.96.0.2"), ("c", "10.1.0.3", "10.96.0.3") }.Select(s => $"""
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: {s.Item1}, namespace: {Ns}{"}"}
            spec:
              clusterIP: {s.Item3}
              selector: {"{"}app: {s.Item1}{"}"}
              ports: [{"{"}name: http, port: 80, targetPort: 8080{"}"}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {"{"}name: {s.Item1}-1, namespace: {Ns}, labels: {"{"}app: {s.Item1}{"}"}{"}"}
            spec: {"{"}serviceAccountName: {s.Item1}{"}"}
            status: {"{"}podIP: {s.Item2}, phase: Running{"}"}
            """));
        var sidecars = string.Join("\n---\n", new[] { ("client-a", "a"), ("client-ab", "a b"), ("client-c", "c") }.Select(s => $"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {"{"}name: {s.Item1}, namespace: {Ns}{"}"}
            spec:
              workloadSelector: {"{"}labels: {"{"}app: {s.Item1}{"}"}{"}"}
              egress:
              - hosts: [{string.Join(", ", s.Item2.Split(' ').Select(h => $"\"./{h}.{Ns}.svc.cluster.local\""))}]
            """));
        return services + "\n---\n" + sidecars + "\n";
    }
}
