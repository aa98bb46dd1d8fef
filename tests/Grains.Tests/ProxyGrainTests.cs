using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Proxy;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Grains.Tests;

/// <summary>
/// Proxy status: gateways report nodes in batches to their status shards; a node's ProxyGrain
/// answers from its shard.
/// </summary>
public sealed class ProxyGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ProxyRegistration Registration(string id, ProxyKind kind, string gateway = "gw-1") =>
        new(id, kind, "bookinfo", "reviews-v1", "10.0.0.1", ImmutableSortedDictionary<string, string>.Empty, gateway);

    private IProxyStatusGrain ShardOf(string id) => fixture.Client.GetGrain<IProxyStatusGrain>(ProxyStatusShards.Of(id));

    /// <summary>Reports are one-way: polls (bounded) until <paramref name="done"/> holds for the node's status as its ProxyGrain gives it.</summary>
    private async Task<ProxyStatus?> StatusWhenAsync(string id, Func<ProxyStatus?, bool> done)
    {
        var proxy = fixture.Client.GetGrain<IProxyGrain>(id);
        var status = await proxy.GetStatusAsync();
        for (var i = 0; i < 100 && !done(status); i++)
        {
            await Task.Delay(20);
            status = await proxy.GetStatusAsync();
        }
        return status;
    }

    [Fact]
    public async Task ABatchOfNodesOfOneShard_IsOneCall_AndEachNodesGrainShowsItsConnection()
    {
        // Node ids of one shard, as a gateway's flush groups them.
        var ids = Enumerable.Range(0, 400).Select(i => $"sidecar~10.0.0.{i}~a-{i}.bookinfo~{Guid.NewGuid():N}")
            .GroupBy(ProxyStatusShards.Of).OrderByDescending(g => g.Count()).First().Take(5).ToList();
        Assert.Equal(5, ids.Count);

        await ShardOf(ids[0]).ReportAsync([.. ids.Select(id => new NodeReport(id, new ProxyReport(Registration(id, ProxyKind.Sidecar, gateway: "gw-7"), [])))]);

        foreach (var id in ids)
        {
            var status = await StatusWhenAsync(id, s => s is not null);
            Assert.NotNull(status);
            Assert.Equal((id, ProxyKind.Sidecar, "bookinfo", "reviews-v1", "gw-7", true), (status.NodeId, status.Kind, status.Namespace, status.Workload, status.GatewayId, status.Connected));
        }
        Assert.Null(await fixture.Client.GetGrain<IProxyGrain>($"sidecar~10.9.9.9~never.bookinfo~{Guid.NewGuid():N}").GetStatusAsync());
    }

    [Fact]
    public async Task Report_SentAckNack_GivesIstioctlStates()
    {
        var id = $"sidecar~10.0.0.1~a.bookinfo~{Guid.NewGuid():N}";
        await ShardOf(id).ReportAsync([new NodeReport(id, new ProxyReport(Registration(id, ProxyKind.Sidecar), [
            new ProxyEvent(ProxyEventKind.Sent, TypeUrls.Cluster, "v1", null),
            new ProxyEvent(ProxyEventKind.Ack, TypeUrls.Cluster, "v1", null),
            new ProxyEvent(ProxyEventKind.Sent, TypeUrls.Listener, "l2", null),
            new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Listener, "l2", "duplicate listener name"),
        ]))]);

        var status = await StatusWhenAsync(id, s => s?.NackCount == 1);

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
        var shard = ShardOf(id);
        await shard.ReportAsync([new NodeReport(id, new ProxyReport(Registration(id, ProxyKind.Sidecar, "gw-old"), []))]);
        // Reports are one-way and Orleans does not order one-way calls: wait until the first connection
        // is recorded (else it could land after the reconnect), then the reconnect.
        var status = await StatusWhenAsync(id, s => s?.GatewayId == "gw-old");
        Assert.Equal("gw-old", status?.GatewayId);
        await shard.ReportAsync([new NodeReport(id, new ProxyReport(Registration(id, ProxyKind.Sidecar, "gw-new"), []))]);
        status = await StatusWhenAsync(id, s => s?.GatewayId == "gw-new");
        Assert.Equal("gw-new", status?.GatewayId);

        await shard.DisconnectAsync(id, "gw-old");

        status = await fixture.Client.GetGrain<IProxyGrain>(id).GetStatusAsync();
        Assert.True(status!.Connected);
        Assert.Equal("gw-new", status.GatewayId);

        await shard.DisconnectAsync(id, "gw-new");
        Assert.False((await fixture.Client.GetGrain<IProxyGrain>(id).GetStatusAsync())!.Connected);
    }

    [Fact]
    public void ADisconnectedNode_IsForgottenAfterTenMinutes_AConnectedOneNever()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 22, 0, 0, TimeSpan.Zero));
        var table = new ProxyStatusTable(time, NullLogger.Instance);
        table.Apply("gone", new ProxyReport(Registration("gone", ProxyKind.Sidecar), []));
        table.Apply("back", new ProxyReport(Registration("back", ProxyKind.Sidecar), []));
        table.Apply("stays", new ProxyReport(Registration("stays", ProxyKind.Sidecar), []));
        table.Apply("unknown", new ProxyReport(null, [new ProxyEvent(ProxyEventKind.Ack, TypeUrls.Cluster, "v1", null)]));
        Assert.Equal(3, table.Count); // events of a node never connected here start nothing
        table.Disconnect("gone", "gw-1");
        table.Disconnect("back", "gw-1");

        time.Advance(TimeSpan.FromMinutes(5));
        table.Apply("back", new ProxyReport(Registration("back", ProxyKind.Sidecar, "gw-2"), []));
        time.Advance(ProxyStatusTable.ForgetAfter - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        table.Sweep();
        Assert.False(table.Get("gone")!.Connected); // not yet ten minutes

        time.Advance(TimeSpan.FromMinutes(1));
        table.Sweep();
        Assert.Null(table.Get("gone"));
        Assert.True(table.Get("back")!.Connected);
        Assert.True(table.Get("stays")!.Connected);
        Assert.Equal(2, table.Count);
    }
}
