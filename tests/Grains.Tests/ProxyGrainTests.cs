using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

public sealed class ProxyGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ProxyRegistration Registration(string id, ProxyKind kind, string gateway = "gw-1") =>
        new(id, kind, "bookinfo", "reviews-v1", "10.0.0.1", ImmutableSortedDictionary<string, string>.Empty, gateway);

    [Fact]
    public async Task ReportWithAConnection_IsOneWay_AndTheStatusShowsTheConnection()
    {
        var id = $"sidecar~10.0.0.1~a.bookinfo~{Guid.NewGuid():N}";
        var proxy = fixture.Client.GetGrain<IProxyGrain>(id);

        // One-way and batched: the gateway never waits on status bookkeeping to serve a proxy.
        await proxy.ReportAsync(new ProxyReport(Registration(id, ProxyKind.Sidecar, gateway: "gw-7"), []));

        ProxyStatus? status = null;
        for (var i = 0; i < 100 && status is null; i++)
        {
            status = await proxy.GetStatusAsync();
            await Task.Delay(10);
        }
        Assert.NotNull(status);
        Assert.Equal((ProxyKind.Sidecar, "bookinfo", "reviews-v1", "gw-7", true), (status.Kind, status.Namespace, status.Workload, status.GatewayId, status.Connected));
    }

    [Fact]
    public async Task Report_SentAckNack_GivesIstioctlStates()
    {
        var id = $"sidecar~10.0.0.1~a.bookinfo~{Guid.NewGuid():N}";
        var proxy = fixture.Client.GetGrain<IProxyGrain>(id);
        await proxy.ReportAsync(new ProxyReport(Registration(id, ProxyKind.Sidecar), [
            new ProxyEvent(ProxyEventKind.Sent, TypeUrls.Cluster, "v1", null),
            new ProxyEvent(ProxyEventKind.Ack, TypeUrls.Cluster, "v1", null),
            new ProxyEvent(ProxyEventKind.Sent, TypeUrls.Listener, "l2", null),
            new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Listener, "l2", "duplicate listener name"),
        ]));
        // Report is one-way: wait (bounded) until the grain has processed it.
        ProxyStatus? status = null;
        for (var i = 0; i < 100 && status?.NackCount != 1; i++)
        {
            status = await proxy.GetStatusAsync();
            await Task.Delay(20);
        }

        Assert.NotNull(status);
        var byType = status.Types.ToDictionary(t => t.TypeUrl);
        Assert.Equal("SYNCED", byType[TypeUrls.Cluster].State);
        Assert.Equal("STALE", byType[TypeUrls.Listener].State);
        Assert.Equal("duplicate listener name", byType[TypeUrls.Listener].LastError);
        Assert.Equal("NOT SENT", byType[TypeUrls.Route].State);
        Assert.Equal(1, status.NackCount);
    }

    [Fact]
    public async Task Disconnect_FromOldGateway_AfterReconnectElsewhere_KeepsConnected()
    {
        var id = $"sidecar~10.0.0.1~a.bookinfo~{Guid.NewGuid():N}";
        var proxy = fixture.Client.GetGrain<IProxyGrain>(id);
        await proxy.ReportAsync(new ProxyReport(Registration(id, ProxyKind.Sidecar, "gw-old"), []));
        // Reports are one-way and Orleans does not order one-way calls: wait until the first connection
        // is recorded (else it could land after the reconnect, as it did once in the suite), then the reconnect.
        ProxyStatus? status = await proxy.GetStatusAsync();
        for (var attempt = 0; attempt < 100 && status?.GatewayId != "gw-old"; attempt++)
        {
            await Task.Delay(50);
            status = await proxy.GetStatusAsync();
        }
        Assert.Equal("gw-old", status?.GatewayId);
        for (var attempt = 0; attempt < 100 && status?.GatewayId != "gw-new"; attempt++)
        {
            await proxy.ReportAsync(new ProxyReport(Registration(id, ProxyKind.Sidecar, "gw-new"), []));
            await Task.Delay(50);
            status = await proxy.GetStatusAsync();
        }
        Assert.Equal("gw-new", status?.GatewayId);

        await proxy.DisconnectAsync("gw-old");

        status = await proxy.GetStatusAsync();
        Assert.True(status!.Connected);
        Assert.Equal("gw-new", status.GatewayId);
    }
}
