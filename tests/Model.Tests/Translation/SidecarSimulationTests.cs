using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>Behaviour of a Bookinfo sidecar, checked by simulating calls against the built listeners and routes.</summary>
public sealed class SidecarSimulationTests
{
    private static readonly SidecarSimulation Sidecar = new(ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope()));

    [Fact]
    public void Call_ReviewsAsJason_RoutesToV2()
    {
        var result = Sidecar.Call("reviews", 9080, "/", new Dictionary<string, string> { ["end-user"] = "jason" });

        Assert.Equal("0.0.0.0_9080", result.Listener);
        Assert.Equal("9080", result.RouteConfig);
        Assert.Equal($"{Bookinfo.Reviews}:9080", result.VirtualHost);
        Assert.Equal("jason", result.Route);
        Assert.Equal($"outbound|9080|v2|{Bookinfo.Reviews}", result.Cluster);
    }

    [Fact]
    public void Call_ReviewsAnonymous_SplitsV1AndV3()
    {
        var result = Sidecar.Call("reviews.bookinfo.svc.cluster.local", 9080, "/reviews/0");

        Assert.Equal("split", result.Route);
        Assert.Equal(
            [($"outbound|9080|v1|{Bookinfo.Reviews}", 80u), ($"outbound|9080|v3|{Bookinfo.Reviews}", 20u)],
            result.Clusters.ToArray());
    }

    [Fact]
    public void Call_ProductPageByVip_RoutesToProductPage()
    {
        var result = Sidecar.Call("10.0.0.10", 9080, "/productpage");

        Assert.Equal($"outbound|9080||{Bookinfo.ProductPage}", result.Cluster);
    }

    [Fact]
    public void Call_UnknownHostOnMeshPort_GoesToPassthrough()
    {
        var result = Sidecar.Call("example.org", 9080);

        Assert.Equal("allow_any", result.VirtualHost);
        Assert.Equal(ResourceNames.PassthroughCluster, result.Cluster);
    }

    [Fact]
    public void Call_UnknownHostOnOtherPort_GoesToVirtualOutboundPassthrough()
    {
        var result = Sidecar.Call("example.org", 443);

        Assert.Equal(ResourceNames.VirtualOutbound, result.Listener);
        Assert.Equal(ResourceNames.PassthroughCluster, result.Cluster);
    }

    [Fact]
    public void Call_ServiceEntryVipTcp_UsesTcpProxy()
    {
        var result = Sidecar.Call("240.240.0.1", 3306);

        Assert.Equal("240.240.0.1_3306", result.Listener);
        Assert.Equal($"outbound|3306||{Bookinfo.Database}", result.Cluster);
    }

    [Fact]
    public void Call_ShortNameFromOtherNamespace_IsNotRouted()
    {
        var scope = Bookinfo.ProductPageScope() with { Namespace = "other" };
        var result = new SidecarSimulation(ListenerBuilder.BuildSidecar(scope)).Call("ratings", 9080);

        Assert.Equal("allow_any", result.VirtualHost);
    }

    [Fact]
    public void Call_RegistryOnlyUnknownHost_HitsBlockAll()
    {
        var scope = Bookinfo.ProductPageScope() with { Settings = Bookinfo.Settings with { AllowAnyOutbound = false } };
        var simulation = new SidecarSimulation(ListenerBuilder.BuildSidecar(scope));

        Assert.Equal("block_all", simulation.Call("example.org", 9080).VirtualHost);
        Assert.Equal(ResourceNames.BlackHoleCluster, simulation.Call("example.org", 443).Cluster);
    }
}
