using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsGateway.Tests;

/// <summary>Protocol errors end the stream with a precise gRPC status (STYLE 10), on both ADS variants.</summary>
[Trait("Category", "Functional")]
public sealed class AdsServiceTests : IAsyncLifetime
{
    private const string SecretType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
    private readonly FakeConfigWatcher _watcher = new();
    private XdsTestServer _server = null!;

    public async Task InitializeAsync() => _server = await XdsTestServer.StartAsync(_watcher);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Sotw_MalformedNodeId_IsInvalidArgumentWithReason()
    {
        using var metrics = new MetricRecorder(_server.Services.GetRequiredService<XdsMetrics>().Meter);
        await using var ads = _server.Connect(TestNodes.WithId("foo"));

        await ads.RequestAsync(TypeUrls.Cluster);
        var error = await ads.ExpectErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains("node id 'foo' is malformed", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Total("xds_stream_errors", nameof(StatusCode.InvalidArgument)));
    }

    [Fact]
    public async Task Delta_MalformedNodeId_IsInvalidArgumentWithReason()
    {
        await using var ads = _server.Connect(TestNodes.WithId("sidecar~nope~p.ns~ns.svc.cluster.local"));

        await ads.SubscribeAsync(TypeUrls.Cluster);
        var error = await ads.ExpectDeltaErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains("'nope' is not an IP address", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sotw_NodeIdChangesMidStream_IsInvalidArgument_X03()
    {
        await using var ads = _server.Connect();
        await ads.RequestAsync(TypeUrls.Cluster);
        var response = await ads.ExpectResponseAsync(TypeUrls.Cluster);

        await ads.RequestAsync(TypeUrls.Cluster, [], response.VersionInfo, response.Nonce, TestNodes.Sidecar(pod: "ratings-v1-1-2"));
        var error = await ads.ExpectErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains("node id changed mid-stream", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sotw_LaterRequestWithoutNode_IsAccepted_X03()
    {
        await using var ads = _server.Connect();
        await ads.RequestAsync(TypeUrls.Cluster);
        var response = await ads.ExpectResponseAsync(TypeUrls.Cluster);

        await ads.RequestAsync(TypeUrls.Endpoint, ["a"]);
        await ads.ExpectResponseAsync(TypeUrls.Endpoint);
        Assert.NotEmpty(response.Nonce);
    }

    [Fact]
    public async Task Delta_NodeIdChangesMidStream_IsInvalidArgument_X03()
    {
        await using var ads = _server.Connect();
        await ads.SubscribeAsync(TypeUrls.Endpoint, "a");
        await ads.ExpectDeltaAsync(TypeUrls.Endpoint);

        await ads.DeltaRequestAsync(new() { TypeUrl = TypeUrls.Endpoint, Node = TestNodes.Sidecar(ns: "payments") });
        var error = await ads.ExpectDeltaErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains("node id changed mid-stream", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sotw_UnknownTypeUrl_IsInvalidArgumentNamingIt()
    {
        await using var ads = _server.Connect();

        await ads.RequestAsync(SecretType, ["default"]);
        var error = await ads.ExpectErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains($"unknown type_url '{SecretType}'", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delta_UnknownTypeUrl_IsInvalidArgumentNamingIt()
    {
        await using var ads = _server.Connect();

        await ads.SubscribeAsync(SecretType, "default");
        var error = await ads.ExpectDeltaErrorAsync(StatusCode.InvalidArgument);

        Assert.Contains($"unknown type_url '{SecretType}'", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sotw_WatcherNotReady_IsUnavailable_X25()
    {
        _watcher.OnOpen = _ => throw new RpcException(new Status(StatusCode.Unavailable, "control plane not synced"));
        await using var ads = _server.Connect();

        await ads.RequestAsync(TypeUrls.Cluster);
        var error = await ads.ExpectErrorAsync(StatusCode.Unavailable);

        Assert.Equal("control plane not synced", error.Status.Detail);
    }

    [Fact]
    public async Task Stream_ClientDisconnects_WatchIsDisposedAndGaugeReturnsToZero()
    {
        var metrics = _server.Services.GetRequiredService<XdsMetrics>();
        using var recorder = new MetricRecorder(metrics.Meter);
        var ads = _server.Connect();
        await ads.RequestAsync(TypeUrls.Cluster);
        await ads.ExpectResponseAsync(TypeUrls.Cluster);
        var watch = await _watcher.LatestWatchAsync();

        await ads.DisposeAsync();

        await watch.WhenDisposed.WaitAsync(AdsTestClient.DefaultTimeout);
        Assert.Equal(1, recorder.Total("xds_connects"));
        Assert.Equal(1, recorder.Total("xds_disconnects"));
    }
}
