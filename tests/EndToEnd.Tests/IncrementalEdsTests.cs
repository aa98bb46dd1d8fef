using Mesh.EndToEnd.Tests.Support;
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
        await using var seeA = Proxy("client-a", "10.9.0.1");
        await using var seeAb = Proxy("client-ab", "10.9.0.2");
        await using var seeC = Proxy("client-c", "10.9.0.3");
        foreach (var p in new[] { seeA, seeAb, seeC })
        {
            await p.StartAsync();
        }
        foreach (var p in new[] { seeA, seeAb, seeC })
        {
            await p.WaitQuietAsync(TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(30));
        }

        var clusterA = ResourceNames.OutboundCluster(80, null, Host("a"));
        // Each proxy holds exactly the clusters of the services its Sidecar lets it see.
        Assert.Equal([clusterA], Outbound(seeA));
        Assert.Equal([clusterA, ResourceNames.OutboundCluster(80, null, Host("b"))], Outbound(seeAb));
        Assert.Equal([ResourceNames.OutboundCluster(80, null, Host("c"))], Outbound(seeC));
        Assert.Contains(clusterA, seeA.Held(TypeUrls.Endpoint).Keys);
        var before = new[] { seeA.Received.Count, seeAb.Received.Count, seeC.Received.Count };
        var edsVersionBefore = seeA.Held(TypeUrls.Endpoint)[clusterA];

        await File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Manifests(aPodIp: "10.1.0.99"));

        await WaitForAsync(() => seeA.Held(TypeUrls.Endpoint)[clusterA] != edsVersionBefore, "client-a to receive the new EDS for a");
        await WaitForAsync(() => seeAb.Received.Count > before[1], "client-ab to receive the new EDS for a");
        // Give any stray push time to arrive before asserting there was none.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        foreach (var (proxy, prior) in new[] { (seeA, before[0]), (seeAb, before[1]) })
        {
            var pushes = proxy.Received.Skip(prior).ToList();
            var push = Assert.Single(pushes);
            Assert.Equal(TypeUrls.Endpoint, push.TypeUrl);
            var resource = Assert.Single(push.Resources);
            Assert.Equal(clusterA, resource.Name);
            Assert.Empty(push.RemovedResources);
        }
        Assert.Equal(before[2], seeC.Received.Count);
    }

    [Fact]
    public async Task DeletedManifestFile_RemovesItsServiceFromConnectedProxies()
    {
        // client-all matches no Sidecar, so it sees every service in the namespace.
        await using var proxy = Proxy("client-all", "10.9.0.4");
        await proxy.StartAsync();
        await proxy.WaitQuietAsync(TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(30));
        var clusterE = ResourceNames.OutboundCluster(80, null, Host("e"));
        Assert.DoesNotContain(clusterE, proxy.Held(TypeUrls.Cluster).Keys);

        var extra = Path.Combine(_dir, "extra.yaml");
        await File.WriteAllTextAsync(extra, $"""
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: e, namespace: {Ns}{"}"}
            spec: {"{"}clusterIP: 10.96.0.5, ports: [{"{"}name: http, port: 80{"}"}]{"}"}
            """);
        await WaitForAsync(() => proxy.Held(TypeUrls.Cluster).ContainsKey(clusterE), "the new service's cluster to arrive");

        File.Delete(extra);

        await WaitForAsync(() => !proxy.Held(TypeUrls.Cluster).ContainsKey(clusterE), "the deleted file's cluster to be removed");
        Assert.Contains(proxy.Received, r => r.TypeUrl == TypeUrls.Cluster && r.RemovedResources.Contains(clusterE));
        Assert.Contains(ResourceNames.OutboundCluster(80, null, Host("a")), proxy.Held(TypeUrls.Cluster).Keys);
    }

    private RecordingDeltaProxy Proxy(string app, string ip) =>
        new(_mesh.XdsAddress, RecordingDeltaProxy.SidecarNode($"{app}-6d4f-x1", Ns, ip, new Dictionary<string, string> { ["app"] = app }));

    private static List<string> Outbound(RecordingDeltaProxy p) =>
        [.. p.Held(TypeUrls.Cluster).Keys.Where(k => k.StartsWith("outbound|", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static string Host(string name) => $"{name}.{Ns}.svc.cluster.local";

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after 15 s waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

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
