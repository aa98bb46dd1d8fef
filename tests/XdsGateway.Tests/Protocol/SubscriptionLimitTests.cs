using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>
/// S-05: how many names one stream may hold subscribed, per type and over all types. A request that
/// would exceed a limit ends its stream with RESOURCE_EXHAUSTED naming the limit, is counted, and
/// leaves other streams alone. Limits here are small (100 per type, 150 per stream).
/// </summary>
[Trait("Category", "Functional")]
public sealed class SubscriptionLimitTests : IAsyncLifetime, IDisposable
{
    private const int PerType = 100;
    private const int PerStream = 150;
    private readonly FakeConfigWatcher _watcher = new();
    private XdsTestServer _server = null!;
    private MetricRecorder _metrics = null!;

    public async Task InitializeAsync()
    {
        _watcher.Set(TypeUrls.Endpoint, [.. Enumerable.Range(0, 300).Select(i => TestResources.Endpoint(Name(i)))]);
        _watcher.Set(TypeUrls.Cluster, [.. Enumerable.Range(0, 300).Select(i => TestResources.Cluster(Name(i)))]);
        _server = await XdsTestServer.StartAsync(_watcher, s => s.Configure<XdsGatewayOptions>(o =>
        {
            o.MaxSubscribedNamesPerType = PerType;
            o.MaxSubscribedNamesPerStream = PerStream;
        }));
        _metrics = new MetricRecorder(_server.Services.GetRequiredService<XdsMetrics>().Meter);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _metrics.Dispose();

    private static string Name(int i) => $"outbound|80||s{i}.ns.svc.cluster.local";

    private static string[] Names(int from, int count) => [.. Enumerable.Range(from, count).Select(Name)];

    [Fact]
    public async Task Delta_SubscribingPastThePerTypeLimit_EndsTheStreamWithResourceExhausted_NamingTheLimit_S05()
    {
        await using var ads = _server.Connect();
        await using var other = _server.Connect(TestNodes.Sidecar(pod: "other-1"));
        await other.SubscribeAsync(TypeUrls.Endpoint, Names(0, 10));
        await other.DeltaAckAsync(await other.ExpectDeltaAsync(TypeUrls.Endpoint));

        await ads.SubscribeAsync(TypeUrls.Endpoint, Names(0, 60));
        Assert.Equal(60, (await ads.ExpectDeltaAsync(TypeUrls.Endpoint)).Resources.Count);
        var refused = await _watcher.LatestWatchAsync();
        await ads.SubscribeAsync(TypeUrls.Endpoint, Names(60, 60));

        var error = await ads.ExpectDeltaErrorAsync(StatusCode.ResourceExhausted);
        Assert.Contains("120 names", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"limit is {PerType} per type (Xds:MaxSubscribedNamesPerType)", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.Total("xds_requests_refused", "names_per_type"));
        Assert.Equal(1, _metrics.Total("xds_requests_refused", "eds"));
        // The refused stream is gone (its watch released); the other stream is served as before.
        await refused.WhenDisposed.WaitAsync(TimeSpan.FromSeconds(5));
        _watcher.Upsert(TestResources.Endpoint(Name(3), revision: 2));
        Assert.Equal([Name(3)], (await other.ExpectDeltaAsync(TypeUrls.Endpoint)).Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task Delta_UnsubscribedAndRepeatedNames_CountOnce_S05()
    {
        await using var ads = _server.Connect();
        await ads.SubscribeAsync(TypeUrls.Endpoint, Names(0, 60));
        await ads.DeltaAckAsync(await ads.ExpectDeltaAsync(TypeUrls.Endpoint));
        await ads.UnsubscribeAsync(TypeUrls.Endpoint, Names(0, 30));

        // 30 held + 60 new + 10 already held, some named twice: 90 distinct names, under 100.
        await ads.SubscribeAsync(TypeUrls.Endpoint, [.. Names(60, 60), .. Names(30, 10), .. Names(60, 5)]);

        var response = await ads.ExpectDeltaAsync(TypeUrls.Endpoint);
        Assert.Equal(70, response.Resources.Count); // the 60 new names and the 10 re-subscribed ones
        Assert.Equal(0, _metrics.Total("xds_requests_refused"));
    }

    [Fact]
    public async Task Delta_NamesOverAllTypesPastThePerStreamLimit_AreRefused_S05()
    {
        await using var ads = _server.Connect();
        await ads.SubscribeAsync(TypeUrls.Endpoint, Names(0, 100));
        await ads.DeltaAckAsync(await ads.ExpectDeltaAsync(TypeUrls.Endpoint));

        await ads.SubscribeAsync(TypeUrls.Cluster, Names(0, 60));

        var error = await ads.ExpectDeltaErrorAsync(StatusCode.ResourceExhausted);
        Assert.Contains($"160 names over all types; the limit is {PerStream} per stream (Xds:MaxSubscribedNamesPerStream)", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.Total("xds_requests_refused", "names_per_stream"));
    }

    [Fact]
    public async Task Delta_InitialResourceVersionsPastThePerTypeLimit_AreRefused_S05()
    {
        await using var ads = _server.Connect();
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint };
        foreach (var name in Names(0, 101))
        {
            request.InitialResourceVersions[name] = "v0";
        }

        await ads.DeltaRequestAsync(request);

        var error = await ads.ExpectDeltaErrorAsync(StatusCode.ResourceExhausted);
        Assert.Contains("101 names", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sotw_RequestNamingMoreThanThePerTypeLimit_IsRefused_AndAnAckOfTheSameNamesIsNot_S05()
    {
        await using var ads = _server.Connect();
        await ads.RequestAsync(TypeUrls.Endpoint, Names(0, 100));
        var response = await ads.ExpectResponseAsync(TypeUrls.Endpoint);
        await ads.AckAsync(response);
        await ads.ExpectNoResponseAsync();

        await ads.RequestAsync(TypeUrls.Endpoint, Names(0, 101), response.VersionInfo, response.Nonce);

        var error = await ads.ExpectErrorAsync(StatusCode.ResourceExhausted);
        Assert.Contains($"limit is {PerType} per type", error.Status.Detail, StringComparison.Ordinal);
    }
}
