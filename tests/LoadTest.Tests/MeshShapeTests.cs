using Mesh.LoadTest;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// The load tool's mesh shapes: the flat one keeps its proxies' identities; the namespaced one gives
/// each proxy a Deployment pod name its workload derives from, a unique address, and the services of
/// its namespace plus the shared ones; contradictory options are refused with the fix.
/// </summary>
[Trait("Category", "BVT")]
public sealed class MeshShapeTests
{
    private static readonly LoadOptions Namespaced = new()
    {
        Namespaces = 3, ServicesPerNamespace = 4, WorkloadsPerNamespace = 2, ProxiesPerWorkload = 2, SharedServices = 2, Proxies = 12,
    };

    [Fact]
    public void Flat_ProxyIdentities_AreAsBefore()
    {
        var shape = MeshShape.For(new LoadOptions { Proxies = 300, Services = 4, Groups = 2, Deps = 2 });

        var id = shape.Identity(251);
        Assert.Equal("client-251-lt-x251", id.Pod);
        Assert.Equal("lt", id.Namespace);
        Assert.Equal("client-g1", id.Labels["app"]);
        Assert.Null(id.WorkloadName);
        Assert.Equal("10.200.1.2", MeshShape.ProxyIp(251));
        Assert.Equal(["s0.lt.svc.cluster.local", "s1.lt.svc.cluster.local", "s2.lt.svc.cluster.local", "s3.lt.svc.cluster.local"], shape.Services.Select(s => s.Host));
        Assert.Equal([2, 3], shape.Groups[1].Services!);
    }

    [Fact]
    public void Namespaced_PodNames_DeriveTheirWorkload_AndAddressesAreUnique()
    {
        var shape = MeshShape.For(Namespaced);

        var ids = Enumerable.Range(0, 12).Select(shape.Identity).ToList();
        // Proxies 0-3 are ns-0 (w-0, w-0, w-1, w-1), 4-7 ns-1, 8-11 ns-2.
        Assert.Equal(["ns-0", "ns-0", "ns-0", "ns-0", "ns-1"], ids.Take(5).Select(i => i.Namespace));
        Assert.Equal(["w-0", "w-0", "w-1", "w-1", "w-0"], ids.Take(5).Select(i => i.Labels["app"]));
        Assert.All(ids, id =>
        {
            // Istio's rule for a Deployment's pod NAME-RSHASH-SUFFIX: drop the last two segments.
            var parts = id.Pod.Split('-');
            Assert.Equal(id.Labels["app"], string.Join('-', parts[..^2]));
            Assert.Equal(10, parts[^2].Length);
            Assert.Equal(5, parts[^1].Length);
            Assert.Equal(id.Labels["app"], id.WorkloadName);
        });
        Assert.Equal(ids[0].Pod.Split('-')[^2], ids[1].Pod.Split('-')[^2]); // one ReplicaSet per workload
        Assert.Equal(12, ids.Select(i => i.Pod).Distinct().Count());
        Assert.Equal(12, Enumerable.Range(0, 12).Select(MeshShape.ProxyIp).Distinct().Count());
    }

    [Fact]
    public void Namespaced_EachNamespaceSeesItsServicesAndTheShared_AndServicesSelectWorkloadsRoundRobin()
    {
        var shape = MeshShape.For(Namespaced);

        Assert.Equal(3 * 4 + 2, shape.Services.Count);
        Assert.Equal(["s0.ns-1.svc.cluster.local", "s1.ns-1.svc.cluster.local", "s2.ns-1.svc.cluster.local", "s3.ns-1.svc.cluster.local",
            "s0.shared.svc.cluster.local", "s1.shared.svc.cluster.local"], shape.Groups[1].Services!.Select(i => shape.Services[i].Host));
        Assert.Equal(["w-0", "w-1", "w-0", "w-1"], shape.Services.Where(s => s.Namespace == "ns-2").Select(s => s.Workload));
        Assert.Equal(2, shape.GroupOf(8));
        Assert.Equal(3, shape.Sidecars.Count);
        Assert.Contains("""hosts: ["./*", "shared/*"]""", shape.Sidecars[0].Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("workloadSelector", shape.Sidecars[0].Yaml, StringComparison.Ordinal);
        // Churn: the shared services by default, ns-0's with --churn namespace.
        Assert.Equal(["s0.shared.svc.cluster.local", "s1.shared.svc.cluster.local"], shape.Churned.Select(i => shape.Services[i].Host));
        var ns0 = MeshShape.For(Namespaced with { Churn = "namespace", FanoutServices = 1 });
        Assert.Equal(["s0.ns-0.svc.cluster.local"], ns0.Churned.Select(i => ns0.Services[i].Host));
    }

    [Fact]
    public void Problem_ContradictoryProxyCount_SaysToLeaveItOut()
    {
        Assert.Null(Namespaced.Problem());
        Assert.Contains("leave --proxies out", (Namespaced with { Proxies = 13 }).Problem(), StringComparison.Ordinal);
        Assert.Contains("--groups", (Namespaced with { Groups = 2 }).Problem(), StringComparison.Ordinal);
        Assert.Contains("--churn", (Namespaced with { Churn = "all" }).Problem(), StringComparison.Ordinal);
        Assert.Contains("--fanout-services", (Namespaced with { Churn = "namespace", FanoutServices = 5 }).Problem(), StringComparison.Ordinal);
        Assert.Contains("limit", (Namespaced with { Limit = true }).Problem(), StringComparison.Ordinal);
    }
}
