using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// Admission of new streams over real sockets (<see cref="ConnectGate"/>, one slot): a stream that
/// arrives while another is being brought to its first complete config gets nothing (and nothing is
/// opened for it) until that stream is settled — every type it asked for answered and the answer
/// acknowledged — or gone, or past the hold. The clients follow the orders real ones use: an Envoy
/// acknowledges clusters once their endpoints arrived and listeners once their routes did.
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

    private ConnectGate Gate => _server.Services.GetRequiredService<ConnectGate>();

    private MetricRecorder Metrics() => new(_server.Services.GetRequiredService<XdsMetrics>().Meter);

    /// <summary>The second stream is still waiting for the slot (read from the gate, not inferred from silence).</summary>
    private async Task AssertStillWaitingAsync(AdsTestClient second, bool delta = false)
    {
        await Eventually.WaitAsync(() => Gate.Waiting == 1, () => "the second stream waits for the connect slot");
        Assert.Equal(1, Gate.InUse);
        Assert.Single(_watcher.Watches); // nothing was opened, let alone resolved, for it
        if (delta)
        {
            await second.ExpectNoDeltaAsync(TimeSpan.FromMilliseconds(100));
        }
        else
        {
            await second.ExpectNoResponseAsync(TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public async Task Sotw_ASecondProxy_GetsNothingUntilTheFirstHoldsClustersEndpointsListenersAndRoutes()
    {
        using var metrics = Metrics();
        await using var first = _server.Connect(TestNodes.Sidecar("first-0"));
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        // Envoy: CDS; EDS for the clusters; CDS acknowledged once they are warm; then LDS, RDS, and the LDS ACK last.
        await first.RequestAsync(TypeUrls.Cluster);
        var cds = await first.ExpectResponseAsync(TypeUrls.Cluster);
        await second.RequestAsync(TypeUrls.Cluster);
        await first.RequestAsync(TypeUrls.Endpoint, ["a"]);
        var eds = await first.ExpectResponseAsync(TypeUrls.Endpoint);
        await first.AckAsync(eds);
        await first.AckAsync(cds);
        await AssertStillWaitingAsync(second); // clusters held, listeners not asked for yet: an Envoy asks next

        await first.RequestAsync(TypeUrls.Listener);
        var lds = await first.ExpectResponseAsync(TypeUrls.Listener);
        await first.RequestAsync(TypeUrls.Route, ["80"]);
        var rds = await first.ExpectResponseAsync(TypeUrls.Route);
        await first.AckAsync(rds);
        await AssertStillWaitingAsync(second); // the listeners' answer is not acknowledged yet

        await first.AckAsync(lds);

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
        var cds = await first.ExpectDeltaAsync(TypeUrls.Cluster);
        await second.SubscribeAsync(TypeUrls.Cluster, "*");
        await first.SubscribeAsync(TypeUrls.Endpoint, "a");
        await first.DeltaAckAsync(await first.ExpectDeltaAsync(TypeUrls.Endpoint));
        await first.DeltaAckAsync(cds);
        await first.SubscribeAsync(TypeUrls.Listener, "*");
        var lds = await first.ExpectDeltaAsync(TypeUrls.Listener);
        await first.SubscribeAsync(TypeUrls.Route, "80");
        var rds = await first.ExpectDeltaAsync(TypeUrls.Route);
        await first.DeltaAckAsync(rds);
        await AssertStillWaitingAsync(second, delta: true);

        await first.DeltaNackAsync(lds, "listener 0.0.0.0_80: unknown filter"); // rejected is answered: the proxy waits for nothing

        var secondCds = await second.ExpectDeltaAsync(TypeUrls.Cluster);
        Assert.Single(secondCds.Resources);
        Assert.Equal(0, metrics.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task AnEnvoyWithoutEdsClustersOrRoutes_SettlesOnItsClusterAndListenerAcks()
    {
        // Only static clusters (no service visible) and inline routes: it never asks for EDS or RDS.
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("BlackHoleCluster"));
        await using var first = _server.Connect(TestNodes.Sidecar("first-0"));
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        await first.RequestAsync(TypeUrls.Cluster);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Cluster));
        await second.RequestAsync(TypeUrls.Cluster);
        await AssertStillWaitingAsync(second);
        await first.RequestAsync(TypeUrls.Listener);
        await first.AckAsync(await first.ExpectResponseAsync(TypeUrls.Listener));

        await second.ExpectResponseAsync(TypeUrls.Cluster);
    }

    [Fact]
    public async Task Proxyless_SettlesOnceItsListenerRouteClusterAndEndpointsAreAcknowledged()
    {
        var node = TestNodes.Sidecar("grpc-client-0");
        node.Metadata.Fields["GENERATOR"] = Value.ForString("grpc");
        await using var first = _server.Connect(node);
        await using var second = _server.Connect(TestNodes.Sidecar("second-0"));

        // gRPC: LDS for its target, RDS for the listener's route, CDS for the route's cluster, EDS for the cluster.
        await first.RequestAsync(TypeUrls.Listener, ["0.0.0.0_80"]);
        var lds = await first.ExpectResponseAsync(TypeUrls.Listener);
        await second.RequestAsync(TypeUrls.Cluster);
        await first.RequestAsync(TypeUrls.Route, ["80"]);
        await first.AckAsync(lds);
        var rds = await first.ExpectResponseAsync(TypeUrls.Route);
        await first.RequestAsync(TypeUrls.Cluster, ["a"]);
        await first.AckAsync(rds);
        var cds = await first.ExpectResponseAsync(TypeUrls.Cluster);
        await first.RequestAsync(TypeUrls.Endpoint, ["a"]);
        await first.AckAsync(cds);
        var eds = await first.ExpectResponseAsync(TypeUrls.Endpoint);
        await AssertStillWaitingAsync(second);

        await first.AckAsync(eds);

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
        await AssertStillWaitingAsync(second);

        await first.DisposeAsync(); // the pod went away mid-connect

        await second.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(0, metrics.Total("xds_connect_gate_overtime"));
    }

    [Fact]
    public async Task AStreamWhoseWatchCannotOpen_EndsWithItsError_AndGivesItsSlotToTheNext()
    {
        _watcher.OnOpen = node =>
        {
            if (node.Id.Contains("broken-0", StringComparison.Ordinal))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "control plane is still loading its initial configuration; retry shortly"));
            }
        };
        await using var broken = _server.Connect(TestNodes.Sidecar("broken-0"));
        await using var next = _server.Connect(TestNodes.Sidecar("next-0"));

        await broken.RequestAsync(TypeUrls.Cluster);
        await broken.ExpectErrorAsync(StatusCode.Unavailable);
        await next.RequestAsync(TypeUrls.Cluster);

        await next.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(1, Gate.InUse); // next's, unsettled; broken's went back
    }

    [Fact]
    public async Task AProxyThatNeverAcks_HoldsItsSlotOnlyForTheHold()
    {
        await DisposeAsync();
        await StartAsync(TimeSpan.FromSeconds(3));
        using var metrics = Metrics();
        await using var stalled = _server.Connect(TestNodes.Sidecar("stalled-0"));
        await using var next = _server.Connect(TestNodes.Sidecar("next-0"));
        await stalled.RequestAsync(TypeUrls.Cluster);
        await stalled.ExpectResponseAsync(TypeUrls.Cluster); // and never acknowledged

        await next.RequestAsync(TypeUrls.Cluster);
        await Eventually.WaitAsync(() => Gate.Waiting == 1, () => "next waits for the stalled stream's slot");

        await next.ExpectResponseAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(10));
        Assert.Equal(1, metrics.Total("xds_connect_gate_overtime"));
        Assert.Equal(1, metrics.Total("xds_connect_gate_waits"));
    }
}
