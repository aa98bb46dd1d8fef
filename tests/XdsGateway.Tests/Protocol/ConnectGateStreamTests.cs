using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Translation;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// Admission of new streams over real sockets (<see cref="Mesh.XdsGateway.Protocol.ConnectGate"/>, one
/// slot): a stream that arrives while another is being brought to its first complete config gets
/// nothing (and nothing is resolved for it) until that stream is settled — every type it asked for
/// answered and acknowledged, and the types those answers point to asked for and acknowledged too —
/// or gone, or past the hold.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ConnectGateStreamTests : IAsyncLifetime
{
    private readonly FakeConfigWatcher _watcher = new();
    private XdsTestServer _server = null!;

    public Task InitializeAsync() => StartAsync(TimeSpan.FromSeconds(30));

    private async Task StartAsync(TimeSpan hold)
    {
        _server = await XdsTestServer.StartAsync(_watcher, s => s.Configure<XdsGatewayOptions>(o =>
        {
            o.MaxConcurrentConnects = 1;
            o.ConnectSlotHold = hold;
        }));
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        _watcher.Set(TypeUrls.Endpoint, TestResources.Endpoint("a"));
        _watcher.Set(TypeUrls.Listener, TestResources.Listener("0.0.0.0_80"));
        _watcher.Set(TypeUrls.Route, TestResources.Route("80"));
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private MetricRecorder Metrics() => new(_server.Services.GetRequiredService<XdsMetrics>().Meter);

    [Fact]
    public async Task Sotw_ASecondProxy_GetsNothingUntilTheFirstHoldsAndAcksClustersEndpointsListenersAndRoutes()
    {
        using var metrics = Metrics();
        await using var first = _server.Connect(TestNodes.Sidecar("first-0"));
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        // An Envoy: CDS first; EDS for its clusters; then LDS and RDS for its listeners.
        await first.RequestAsync(TypeUrls.Cluster);
        var cds = await first.ExpectResponseAsync(TypeUrls.Cluster);
        await second.RequestAsync(TypeUrls.Cluster);
        await first.RequestAsync(TypeUrls.Endpoint, ["a"]);
        await first.AckAsync(cds);
        var eds = await first.ExpectResponseAsync(TypeUrls.Endpoint);
        await first.AckAsync(eds);

        // Clusters and endpoints held, listeners not asked for yet: an Envoy asks next, so not settled.
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));
        Assert.Single(_watcher.Watches); // nothing was opened, let alone resolved, for the waiting stream

        await first.RequestAsync(TypeUrls.Listener);
        var lds = await first.ExpectResponseAsync(TypeUrls.Listener);
        await first.AckAsync(lds);
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300)); // the listener points to a route not asked for yet
        await first.RequestAsync(TypeUrls.Route, ["80"]);
        var rds = await first.ExpectResponseAsync(TypeUrls.Route);
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300)); // sent, not acknowledged

        await first.AckAsync(rds);

        var secondCds = await second.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Single(secondCds.Resources);
        Assert.Equal(1, metrics.Total("xds_connect_gate_waits"));
        Assert.Equal(0, metrics.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task Delta_ASecondProxy_WaitsForTheFirstToSettle_AndANackCountsAsAnswered()
    {
        using var metrics = Metrics();
        await using var first = _server.Connect(TestNodes.Sidecar("first-0"));
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        await first.SubscribeAsync(TypeUrls.Cluster, "*");
        await first.SubscribeAsync(TypeUrls.Listener, "*");
        var cds = await first.ExpectDeltaAsync(TypeUrls.Cluster);
        var lds = await first.ExpectDeltaAsync(TypeUrls.Listener);
        await second.SubscribeAsync(TypeUrls.Cluster, "*");
        await first.DeltaAckAsync(cds);
        await first.DeltaAckAsync(lds);
        await second.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(300)); // endpoints and routes still to come

        await first.SubscribeAsync(TypeUrls.Endpoint, "a");
        await first.SubscribeAsync(TypeUrls.Route, "80");
        var eds = await first.ExpectDeltaAsync(TypeUrls.Endpoint);
        var rds = await first.ExpectDeltaAsync(TypeUrls.Route);
        await first.DeltaAckAsync(eds);
        await second.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(300));

        await first.DeltaNackAsync(rds, "route 80: unknown filter"); // rejected is answered: the proxy is not waiting for the gateway

        var secondCds = await second.ExpectDeltaAsync(TypeUrls.Cluster);
        Assert.Single(secondCds.Resources);
        Assert.Equal(0, metrics.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task Proxyless_SettlesAfterItsListenerRouteClusterEndpointChain()
    {
        var node = TestNodes.Sidecar("grpc-client-0");
        node.Metadata.Fields["GENERATOR"] = Value.ForString("grpc");
        await using var first = _server.Connect(node);
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        // gRPC: LDS for its target, RDS for the listener's route, CDS for the route's cluster, EDS for the cluster.
        await first.RequestAsync(TypeUrls.Listener, ["0.0.0.0_80"]);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Listener));
        await second.RequestAsync(TypeUrls.Cluster);
        await first.RequestAsync(TypeUrls.Route, ["80"]);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Route));
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300)); // its route points to clusters not asked for yet
        await first.RequestAsync(TypeUrls.Cluster, ["a"]);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Cluster));
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));
        await first.RequestAsync(TypeUrls.Endpoint, ["a"]);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Endpoint));

        await second.ExpectResponseAsync(TypeUrls.Cluster);
    }

    [Fact]
    public async Task AStreamThatEndsBeforeSettling_GivesItsSlotToTheNext()
    {
        using var metrics = Metrics();
        var first = _server.Connect(TestNodes.Sidecar("first-0"));
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));
        await first.RequestAsync(TypeUrls.Cluster);
        await first.ExpectResponseAsync(TypeUrls.Cluster);
        await second.RequestAsync(TypeUrls.Cluster);
        await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));

        await first.DisposeAsync(); // the pod went away mid-connect

        await second.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(0, metrics.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task AProxyThatNeverAcks_HoldsItsSlotOnlyForTheHold()
    {
        await DisposeAsync();
        await StartAsync(TimeSpan.FromSeconds(2));
        using var metrics = Metrics();
        await using var stalled = _server.Connect(TestNodes.Sidecar("stalled-0"));
        await using var next = _server.Connect(TestNodes.Sidecar("next-0"));
        await stalled.RequestAsync(TypeUrls.Cluster);
        await stalled.ExpectResponseAsync(TypeUrls.Cluster); // and never acknowledged

        await next.RequestAsync(TypeUrls.Cluster);
        await next.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(300));

        await next.ExpectResponseAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(10));
        Assert.Equal(1, metrics.Total("xds_connect_gate_overtime"));
        Assert.Equal(1, metrics.Total("xds_connect_gate_waits"));
    }
}
