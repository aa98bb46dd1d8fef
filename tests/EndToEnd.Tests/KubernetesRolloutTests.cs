using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.Testing.Kubernetes;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// RolloutPolicy read from Kubernetes (<c>rolloutpolicies.mesh.dev</c>, the in-process fake API
/// server): a VirtualService edited in the cluster becomes a rollout the policy governs, and an
/// invalid policy is reported in /debug/ingestz with its field, leaving everything else served.
/// </summary>
[Trait("Category", "Functional")]
public sealed class KubernetesRolloutTests
{
    private static string Vs(int v1, int v2) => $$$"""
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews","namespace":"shop"},
         "spec":{"hosts":["reviews.shop.svc.cluster.local"],"http":[{"route":[
           {"destination":{"host":"reviews.shop.svc.cluster.local","subset":"v1"},"weight":{{{v1}}}},
           {"destination":{"host":"reviews.shop.svc.cluster.local","subset":"v2"},"weight":{{{v2}}}}]}]}}
        """;

    [Fact(Timeout = 180_000)]
    public async Task APolicyFromKubernetes_GovernsAVirtualServiceEditedThere_AnInvalidOneIsReportedWithItsField()
    {
        await using var api = await FakeKubeApiServer.StartAsync();
        api.Create("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}""");
        api.Create("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"reviews","namespace":"shop"},
             "spec":{"clusterIP":"10.96.1.1","selector":{"app":"reviews"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}
            """);
        api.Create("""
            {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"reviews","namespace":"shop"},
             "spec":{"host":"reviews.shop.svc.cluster.local","subsets":[{"name":"v1","labels":{"version":"v1"}},{"name":"v2","labels":{"version":"v2"}}]}}
            """);
        api.Create(Vs(80, 20));
        api.Create("""
            {"apiVersion":"mesh.dev/v1alpha1","kind":"RolloutPolicy","metadata":{"name":"careful","namespace":"shop"},
             "spec":{"selector":{"kinds":["VirtualService"]},"stages":[{"percent":10},{"percent":100}],"bake":"1h"}}
            """);
        api.Create("""
            {"apiVersion":"mesh.dev/v1alpha1","kind":"RolloutPolicy","metadata":{"name":"broken","namespace":"shop"},
             "spec":{"stages":[{"percent":50},{"percent":20},{"percent":100}]}}
            """);
        using var dir = new TempManifestDir();
        await using var mesh = await InProcessMesh.StartOnKubernetesAsync(dir.Path, api.Url);

        var ingestz = await Eventually.UntilAsync("the broken policy in /debug/ingestz", TimeSpan.FromSeconds(30),
            () => mesh.GetAsync("/debug/ingestz"), text => text.Contains("RolloutPolicy shop/broken", StringComparison.Ordinal));
        Assert.Contains("spec.stages[1].percent: stages must grow: 20% after 50%", ingestz, StringComparison.Ordinal);

        var vs = api.Get("VirtualService", "shop", "reviews")!;
        var edited = JsonDocument.Parse(Vs(30, 70)).RootElement.Clone();
        vs["spec"] = System.Text.Json.Nodes.JsonNode.Parse(edited.GetProperty("spec").GetRawText());
        api.Update(vs);

        var rollout = await Eventually.UntilAsync("the edit to become a rollout of shop/careful", TimeSpan.FromSeconds(30), async () =>
            JsonDocument.Parse(await mesh.GetAsync("/api/v1/rollouts/shop/careful")).RootElement.EnumerateArray().Select(e => e.Clone()).FirstOrDefault(),
            r => r.ValueKind == JsonValueKind.Object);
        Assert.Equal("Baking", rollout.GetProperty("phase").GetString());
        var change = rollout.GetProperty("changes")[0];
        Assert.Equal(("VirtualService", "shop", "reviews"), (change.GetProperty("kind").GetString(), change.GetProperty("namespace").GetString(), change.GetProperty("name").GetString()));
    }
}
