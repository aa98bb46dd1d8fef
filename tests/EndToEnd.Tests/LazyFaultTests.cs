using System.Globalization;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Learned fence hosts are grain state in Redis: SIGKILL every silo (the one holding the fence grain
/// with them) and start the cluster again, and a sidecar connecting afterwards is still served what
/// was learned before (issue 13, persistence).
/// </summary>
[Trait("Category", "Fault")]
public sealed class LazyFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-lazyfault-").FullName;

    public Task InitializeAsync() => File.WriteAllTextAsync(Path.Combine(_dir, "mesh.yaml"), Mesh);

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task LearnedHosts_SurviveSigkillOfEverySilo_AndAFullRestart()
    {
        await using var cluster = await MeshCluster.StartAsync(_dir, silos: 2, gateways: 1);
        var ledger = ResourceNames.OutboundCluster(80, null, "ledger.bank.svc.cluster.local");

        await using (var before = Web(cluster, 1))
        {
            await before.StartAsync();
            await before.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, Egress) && !v.Holds(TypeUrls.Cluster, ledger), TimeSpan.FromSeconds(60));
            using var http = new HttpClient();
            var response = await http.PostAsync(
                new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{cluster.Silos[0].AdminPort}/api/v1/fences/shop/web/hosts")),
                new StringContent("""{"hosts": ["ledger.bank.svc.cluster.local"]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            await before.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, ledger), TimeSpan.FromSeconds(60));
        }

        foreach (var silo in cluster.Silos)
        {
            await silo.KillAsync();
        }
        output.WriteLine("killed every silo (SIGKILL); starting them again");
        foreach (var silo in cluster.Silos)
        {
            silo.Restart();
        }
        foreach (var silo in cluster.Silos)
        {
            await silo.WaitReadyAsync(MeshCluster.ReadyTimeout);
        }

        // A sidecar that never saw the learn: served the learned host from what Redis kept.
        await using var after = Web(cluster, 2);
        await after.StartAsync();
        await after.WaitUntilAsync(v => v.Holds(TypeUrls.Cluster, ledger) && v.Holds(TypeUrls.Cluster, Egress), TimeSpan.FromSeconds(90));
        var fencez = await cluster.Silos[1].GetAsync("/debug/fencez?fence=shop/web");
        Assert.Contains("\"host\":\"ledger.bank.svc.cluster.local\",\"source\":\"admin\"", fencez, StringComparison.Ordinal);
    }

    private static readonly string Egress = ResourceNames.OutboundCluster(80, null, MeshSettings.DefaultLazyEgress);

    private static SimulatedProxy Web(MeshCluster cluster, int i) => new(new SimulatedProxyOptions
    {
        Node = SimulatedProxyOptions.SidecarNode($"web-5c8d9-x{i}", "shop", $"10.61.0.{i}", new Dictionary<string, string> { ["app"] = "web" }),
        Mode = ProxyMode.Delta,
        Gateways = cluster.GatewayAddresses,
        MaxConnectAttempts = 200,
    });

    private static string Service(string name, string ns, string ip) => $$$"""
        apiVersion: v1
        kind: Service
        metadata: {name: {{{name}}}, namespace: {{{ns}}}}
        spec: {clusterIP: {{{ip}}}, selector: {app: {{{name}}}}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---

        """;

    private static readonly string Mesh = string.Concat(
        Service("web", "shop", "10.96.1.1"), Service("ledger", "bank", "10.96.2.1"), Service("mesh-lazy-egress", "mesh-system", "10.96.9.9")) + """
        apiVersion: microservice.slime.io/v1alpha1
        kind: ServiceFence
        metadata: {name: web, namespace: shop}
        spec: {enable: true}
        """;
}
