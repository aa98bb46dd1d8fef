using System.Text.RegularExpressions;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// Max connection age (gRPC MAX_CONNECTION_AGE): streams end with UNAVAILABLE after a GOAWAY and
/// clients reconnect (G-08). Time is a <see cref="FakeTimeProvider"/>; nothing sleeps.
/// </summary>
[Trait("Category", "Functional")]
public sealed partial class ConnectionAgeTests : IAsyncLifetime
{
    private readonly FakeConfigWatcher _watcher = new();
    private readonly FakeTimeProvider _time = new();
    private XdsTestServer? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            // The drain paces its batches on the fake clock: let open streams finish first.
            await WaitUntilAsync(() => _server.Services.GetRequiredService<StreamDrain>().OpenStreams == 0, "streams closed before stopping the server");
            await _server.DisposeAsync();
        }
    }

    private async Task<XdsTestServer> StartAsync(TimeSpan maxAge)
    {
        _server = await XdsTestServer.StartAsync(_watcher, s =>
        {
            s.AddSingleton<TimeProvider>(_time);
            s.Configure<XdsGatewayOptions>(o =>
            {
                o.MaxConnectionAge = maxAge;
                o.MaxConnectionAgeJitter = 0;
            });
        });
        return _server;
    }

    private static async Task<Envoy.Service.Discovery.V3.DiscoveryResponse> SubscribeAsync(AdsTestClient ads)
    {
        await ads.RequestAsync(TypeUrls.Cluster);
        var response = await ads.ExpectResponseAsync(TypeUrls.Cluster);
        await ads.AckAsync(response);
        return response;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(AdsTestClient.DefaultTimeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(10, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new XdsExpectationException($"timed out after {AdsTestClient.DefaultTimeout.TotalSeconds:0} s waiting for: {what}");
            }
        }
    }

    [Fact]
    public async Task MaxConnectionAge_Reached_EndsStreamWithUnavailable_AndReconnectingNodeGetsItsConfigAgain_G08()
    {
        var server = await StartAsync(TimeSpan.FromSeconds(1));
        using var metrics = new MetricRecorder(server.Services.GetRequiredService<XdsMetrics>().Meter);
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        await using var ads = server.Connect();
        var first = await SubscribeAsync(ads);

        _time.Advance(TimeSpan.FromSeconds(1));

        var error = await ads.ExpectErrorAsync(StatusCode.Unavailable);
        Assert.Equal("max connection age reached; reconnect", error.Status.Detail);
        Assert.Equal(1, metrics.Total("xds_streams_closed", ConnectionAge.CloseReason));
        Assert.Equal(0, metrics.Total("xds_stream_errors"));

        await using var again = server.Connect(ads.Node);
        await again.RequestAsync(TypeUrls.Cluster);
        var resent = await again.ExpectResponseAsync(TypeUrls.Cluster);
        Assert.Equal(first.VersionInfo, resent.VersionInfo);
        Assert.Single(resent.Resources);
    }

    [Fact]
    public async Task MaxConnectionAge_Reached_SendsGoAway_SoTheClientsNextStreamOpensANewConnection()
    {
        var server = await StartAsync(TimeSpan.FromSeconds(1));
        using var metrics = new MetricRecorder(server.Services.GetRequiredService<XdsMetrics>().Meter);
        await using var ads = server.Connect();
        await SubscribeAsync(ads);
        _time.Advance(TimeSpan.FromSeconds(1));
        await ExpectEndedAtAgeAsync(() => ads.ExpectErrorAsync(StatusCode.Unavailable));

        // Same client, same channel: after GOAWAY the delta stream must not reuse the old connection
        // (whose deadline has passed); on a new one it gets a fresh age.
        await ads.SubscribeAsync(TypeUrls.Cluster);
        await ads.ExpectDeltaAsync(TypeUrls.Cluster);
        _time.Advance(TimeSpan.FromSeconds(1));
        await ExpectEndedAtAgeAsync(() => ads.ExpectDeltaErrorAsync(StatusCode.Unavailable));

        // Both streams were ended by the gateway for their age (not by an error), each on its own connection.
        Assert.Equal(2, metrics.Total("xds_streams_closed", ConnectionAge.CloseReason));
        Assert.Equal(0, metrics.Total("xds_stream_errors"));
        var aged = AgedConnections(server);
        Assert.Equal(2, aged.Count);
        Assert.NotEqual(aged[0], aged[1]);
    }

    /// <summary>
    /// The stream ends at its age. The gateway sends GOAWAY and ends the stream with UNAVAILABLE; with
    /// both cores busy the client has been seen (about once in 25 runs of this class under load, in
    /// this test and the one sharing a connection between two streams) to
    /// read the connection's close after GOAWAY (NO_ERROR) before those trailers, which every client
    /// handles as the end of the stream: reconnect. That is accepted here, and only that; the status
    /// and detail themselves are checked by the G-08 test above, which has one stream and no ACK in flight.
    /// </summary>
    private static async Task ExpectEndedAtAgeAsync(Func<Task<RpcException>> expect)
    {
        try
        {
            await expect();
        }
        catch (XdsExpectationException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.Internal } rpc
            && rpc.Status.Detail.Contains("HTTP/2 server closed the connection. HTTP/2 error code 'NO_ERROR'", StringComparison.Ordinal))
        {
            // The connection closed after its GOAWAY: the stream ended with it.
        }
    }

    [Fact]
    public async Task MaxConnectionAge_StreamsOfOneConnection_ShareTheDeadline_AndOneGoAwayClosesIt()
    {
        var server = await StartAsync(TimeSpan.FromSeconds(1));
        using var metrics = new MetricRecorder(server.Services.GetRequiredService<XdsMetrics>().Meter);
        await using var ads = server.Connect();
        await SubscribeAsync(ads);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await ads.SubscribeAsync(TypeUrls.Cluster);
        await ads.ExpectDeltaAsync(TypeUrls.Cluster);

        // The delta stream started half a second later but ends with the connection, at 1 s.
        _time.Advance(TimeSpan.FromMilliseconds(500));

        await ExpectEndedAtAgeAsync(() => ads.ExpectErrorAsync(StatusCode.Unavailable));
        await ExpectEndedAtAgeAsync(() => ads.ExpectDeltaErrorAsync(StatusCode.Unavailable));
        Assert.Equal(2, metrics.Total("xds_streams_closed", ConnectionAge.CloseReason));
        Assert.Equal(0, metrics.Total("xds_stream_errors"));
        Assert.Single(AgedConnections(server));
    }

    [Fact]
    public async Task MaxConnectionAge_Disabled_StreamStaysOpenAndKeepsReceiving()
    {
        var server = await StartAsync(TimeSpan.Zero);
        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a"));
        await using var ads = server.Connect();
        await SubscribeAsync(ads);

        _time.Advance(TimeSpan.FromDays(1));
        await ads.ExpectNoResponseAsync();

        _watcher.Set(TypeUrls.Cluster, TestResources.Cluster("a", revision: 2));
        await ads.ExpectResponseAsync(TypeUrls.Cluster);
    }

    [Fact]
    public void Start_StreamsOfOneConnection_ShareADeadline_AndJitterSpreadsConnections()
    {
        var options = Options.Create(new XdsGatewayOptions { MaxConnectionAge = TimeSpan.FromMinutes(30), MaxConnectionAgeJitter = 0.1 });
        var age = new ConnectionAge(options, _time);
        var connection = new Dictionary<object, object?>();

        using var first = age.Start(connection, CancellationToken.None);
        using var second = age.Start(connection, CancellationToken.None);
        var spread = Enumerable.Range(0, 50).Select(_ =>
        {
            using var clock = age.Start(new Dictionary<object, object?>(), CancellationToken.None);
            return clock.Age;
        }).ToList();

        Assert.Equal(first.Age, second.Age);
        Assert.All(spread, a => Assert.InRange(a, TimeSpan.FromMinutes(27), TimeSpan.FromMinutes(33)));
        Assert.True(spread.Distinct().Count() > 1, "jitter gave every connection the same age");

        _time.Advance(first.Age);
        Assert.True(first.Expired && second.Expired);
        Assert.True(first.TryStartClosing());
        Assert.False(second.TryStartClosing());
    }

    /// <summary>Connection ids from the gateway's one-per-connection "reached its max age" log line.</summary>
    private static List<string> AgedConnections(XdsTestServer server) => [.. server.Logs.Entries
        .Where(e => e.Level == LogLevel.Information)
        .Select(e => AgedConnection().Match(e.Message))
        .Where(m => m.Success)
        .Select(m => m.Groups[1].Value)];

    [GeneratedRegex("^Connection (\\S+) reached its max age")]
    private static partial Regex AgedConnection();
}
