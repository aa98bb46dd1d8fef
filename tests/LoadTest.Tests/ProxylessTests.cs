using Mesh.LoadTest.Proxies;
using Mesh.LoadTest.Tests.Support;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>A proxyless gRPC client (GENERATOR=grpc) resolving <c>xds:///a.lt.svc.cluster.local:80</c>: LDS by name → api_listener RDS → CDS → EDS.</summary>
[Trait("Category", "Functional")]
public sealed class ProxylessTests : IAsyncLifetime
{
    private const string Target = "a.lt.svc.cluster.local:80";
    private LtMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await LtMesh.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Theory]
    [InlineData(ProxyMode.Delta)]
    [InlineData(ProxyMode.Sotw)]
    public async Task ProxylessClient_FollowsListenerToRouteToClusterToEndpoints(ProxyMode mode)
    {
        await using var proxy = new SimulatedProxy(new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.ProxylessNode("grpc-client-1", LtMesh.Ns, "10.4.0.1"),
            Mode = mode,
            Gateways = [_mesh.XdsAddress],
            ListenerNames = [Target],
        });
        await proxy.StartAsync();

        var cluster = LtMesh.Cluster("a");
        var view = await proxy.WaitUntilAsync(
            v => v.Holds(TypeUrls.Listener, Target) && v.Count(TypeUrls.Route) == 1 && v.Holds(TypeUrls.Cluster, cluster) && v.Holds(TypeUrls.Endpoint, cluster),
            TimeSpan.FromSeconds(30));

        // Only what the target pulls: one listener, its route, the cluster it names and that cluster's endpoints.
        Assert.Equal([Target], view.Held(TypeUrls.Listener).Keys);
        Assert.Equal([cluster], view.Held(TypeUrls.Cluster).Keys);
        Assert.Equal([cluster], view.Held(TypeUrls.Endpoint).Keys);
        Assert.True(view.Counters.TotalNacksSent == 0 && view.Counters.SafetyViolations == 0, $"awaited no NACKs or violations; saw {view}");
    }
}
