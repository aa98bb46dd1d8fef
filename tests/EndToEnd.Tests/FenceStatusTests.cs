using System.Text.Json.Nodes;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;
using Mesh.Testing.Kubernetes;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// ServiceFences read from Kubernetes (the in-process fake API server, which serves their status
/// subresource as the real one does) get their <c>status.domains</c> written back, as Slime does:
/// spec hosts with their strategy's status, learned hosts ACTIVE, then EXPIREWAIT after a quiet
/// period, then gone; the spec is never touched. A CRD without a status subresource is counted and
/// changes nothing else.
/// </summary>
[Trait("Category", "Functional")]
public sealed class FenceStatusTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Slime = "microservice.slime.io";
    private const string Netease = "microservice.netease.com";

    [Fact(Timeout = 180_000)]
    public async Task FencesFromKubernetes_GetStatusDomainsWrittenBack_LearnedHostsGoQuietThenLeave_TheSpecUntouched()
    {
        await using var api = await FakeKubeApiServer.StartAsync();
        Seed(api);
        api.Create("""
            {"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence","metadata":{"name":"web","namespace":"shop"},
             "spec":{"enable":true,"host":{"a.shop.svc.cluster.local":{"stable":{}}}}}
            """);
        api.Create("""
            {"apiVersion":"microservice.netease.com/v1alpha1","kind":"ServiceFence","metadata":{"name":"cart","namespace":"shop"},
             "spec":{"enable":true,"host":{"b.shop.svc.cluster.local":{"deadline":{"expire":{"seconds":1000}}},"a.shop.svc.cluster.local":{}}}}
            """);
        using var dir = new TempManifestDir();
        await using var mesh = await InProcessMesh.StartOnKubernetesAsync(dir.Path, api.Url,
            "--Lazy:QuietPeriod=00:00:03", "--Kubernetes:FenceStatusInterval=00:00:00.200");

        // At the start of the term every fence is written: spec hosts with their strategy's status, in each fence's own group.
        await Eventually.UntilAsync("web's status to hold its stable host ACTIVE", Wait, () => Task.FromResult(Domains(api, "web", Slime)),
            d => d == "a.shop.svc.cluster.local=ACTIVE", d => d);
        await Eventually.UntilAsync("cart's status (older group) to show its passed deadline", Wait, () => Task.FromResult(Domains(api, "cart", Netease)),
            d => d == "a.shop.svc.cluster.local=ACTIVE,b.shop.svc.cluster.local=EXPIRE", d => d);

        // A learned host joins ACTIVE, turns EXPIREWAIT after one quiet period, and leaves after the second.
        using var http = new HttpClient { BaseAddress = mesh.AdminAddress };
        var learned = await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative),
            new StringContent("""{"hosts": ["c.shop.svc.cluster.local"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, learned.StatusCode);
        await Eventually.UntilAsync("the learned host in web's status, ACTIVE", Wait, () => Task.FromResult(Domains(api, "web", Slime)),
            d => d == "a.shop.svc.cluster.local=ACTIVE,c.shop.svc.cluster.local=ACTIVE", d => d);
        await Eventually.UntilAsync("the learned host to turn EXPIREWAIT after a quiet period", Wait, () => Task.FromResult(Domains(api, "web", Slime)),
            d => d == "a.shop.svc.cluster.local=ACTIVE,c.shop.svc.cluster.local=EXPIREWAIT", d => d);
        await Eventually.UntilAsync("the learned host to leave web's status after the second", Wait, () => Task.FromResult(Domains(api, "web", Slime)),
            d => d == "a.shop.svc.cluster.local=ACTIVE", d => d);

        // Status writes never touch the spec (generation stays 1) and are counted.
        var web = api.Get("ServiceFence", "shop", "web", Slime)!;
        Assert.Equal(1, web["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("a.shop.svc.cluster.local", Assert.Single(web["spec"]!["host"]!.AsObject()).Key);
        var written = Metric(await mesh.GetAsync("/metrics"), "written");
        Assert.True(written >= 5, $"expected at least 5 status writes (2 at start, ACTIVE, EXPIREWAIT, removed); counted {written}");
    }

    [Fact(Timeout = 180_000)]
    public async Task AFenceCrdWithoutAStatusSubresource_IsCountedAndWarnedOnce_AndLearningStillWorks()
    {
        // The older group's CRD installed without `subresources: {status: {}}`: /status is a 404 there.
        var types = KubeResourceType.MeshDefaults.Select(t => t.Group == Netease ? t with { HasStatus = false } : t).ToList();
        await using var api = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { ResourceTypes = types });
        Seed(api);
        api.Create("""
            {"apiVersion":"microservice.netease.com/v1alpha1","kind":"ServiceFence","metadata":{"name":"web","namespace":"shop"},
             "spec":{"enable":true,"host":{"a.shop.svc.cluster.local":{"stable":{}}}}}
            """);
        using var dir = new TempManifestDir();
        await using var mesh = await InProcessMesh.StartOnKubernetesAsync(dir.Path, api.Url, "--Kubernetes:FenceStatusInterval=00:00:00.200");
        await Eventually.UntilAsync("the refused status write to be counted", Wait, async () => Metric(await mesh.GetAsync("/metrics"), "no-status-subresource"), n => n >= 1, n => n.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var http = new HttpClient { BaseAddress = mesh.AdminAddress };
        var learned = await http.PostAsync(new Uri("/api/v1/fences/shop/web/hosts", UriKind.Relative),
            new StringContent("""{"hosts": ["c.shop.svc.cluster.local"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, learned.StatusCode);
        Assert.Contains("\"added\":[\"c.shop.svc.cluster.local\"]", await learned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Eventually.UntilAsync("the learned host's status write to be refused too", Wait, async () => Metric(await mesh.GetAsync("/metrics"), "no-status-subresource"), n => n >= 2, n => n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(api.Get("ServiceFence", "shop", "web", Netease)!["status"]);
        Assert.Equal(0, Metric(await mesh.GetAsync("/metrics"), "written"));
    }

    private static void Seed(FakeKubeApiServer api)
    {
        api.Create("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}""");
        foreach (var (name, ip) in new[] { ("web", "10.96.1.1"), ("cart", "10.96.1.2"), ("a", "10.96.1.3"), ("b", "10.96.1.4"), ("c", "10.96.1.5") })
        {
            api.Create($$$"""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"shop"},
                 "spec":{"clusterIP":"{{{ip}}}","selector":{"app":"{{{name}}}"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}
                """);
        }
    }

    /// <summary>A fence's status domains as <c>host=STATUS</c>, comma-separated in host order ("" without a status).</summary>
    private static string Domains(FakeKubeApiServer api, string name, string group)
    {
        if (api.Get("ServiceFence", "shop", name, group)?["status"]?["domains"] is not JsonObject domains)
        {
            return "";
        }
        return string.Join(',', domains.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d =>
        {
            var hosts = d.Value!["hosts"]!.AsArray().Select(h => h!.GetValue<string>());
            Assert.Equal([d.Key], hosts); // Slime's shape: each domain lists itself
            return $"{d.Key}={d.Value["status"]!.GetValue<string>()}";
        }));
    }

    private static long Metric(string metrics, string result) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith("mesh_fence_status_writes_total", StringComparison.Ordinal) && l.Contains($"result=\"{result}\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
