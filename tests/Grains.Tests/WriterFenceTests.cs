using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Services;

namespace Mesh.Grains.Tests;

/// <summary>
/// The writer fence and the epoch check in the grains it guards. Claims go to fences of their own key;
/// the write tests share the <see cref="WriterFenceKey.Ingest"/> fence, so each claims two new epochs
/// above whatever is current (an old leader's, then a new leader's) and writes relative to them.
/// </summary>
public sealed class WriterFenceTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static MeshService Service(string host) => new(host, "t",
        [new MeshServicePort("http", 80, Protocol.Http, 8080)], ["10.96.1.1"], ServiceOrigin.Kubernetes, Resolution.Static, [],
        ImmutableSortedDictionary<string, string>.Empty);

    private static ServiceEndpoint Endpoint(string ip) => new(ip,
        ImmutableSortedDictionary<int, int>.Empty.Add(80, 8080), ImmutableSortedDictionary<string, string>.Empty,
        Locality.None, 1, EndpointHealth.Healthy, null, null);

    private IWriterFenceGrain NewFence() => fixture.Client.GetGrain<IWriterFenceGrain>($"test-{Guid.NewGuid():N}");

    /// <summary>An old leader claims the ingest fence, then a new one: returns (stale, current) epochs, both ≥ 1.</summary>
    private async Task<(long Stale, long Current)> HandOverAsync()
    {
        var fence = fixture.Client.GetGrain<IWriterFenceGrain>(WriterFenceKey.Ingest);
        var stale = (await fence.GetAsync()).Epoch + 1;
        await fence.ClaimAsync(stale, "old-leader");
        await fence.ClaimAsync(stale + 1, "new-leader");
        return (stale, stale + 1);
    }

    private async Task<(IServiceGrain Grain, ServiceSnapshot Before)> ServiceAsync()
    {
        var host = $"svc-{Guid.NewGuid():N}.t.svc.cluster.local";
        var grain = fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(host));
        await grain.UpdateAsync(new ServiceUpdate { Definition = Service(host), Endpoints = [Endpoint("10.0.0.1")] });
        return (grain, await SnapshotAsync(grain));
    }

    private async Task<ServiceSnapshot> SnapshotAsync(IServiceGrain grain) =>
        await grain.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(new RecordingObserver()));

    private static IEnumerable<(string, string, string)> Versions(ServiceSnapshot s) =>
        s.Resources.Select(r => (r.TypeUrl, r.Name, r.Version)).Order();

    private static async Task<IEnumerable<string>> HostsAsync(INamespaceGrain grain) =>
        (await grain.GetConfigAsync()).Services.Select(s => s.Hostname);

    private static async Task<IEnumerable<string>> NamespacesAsync(IMeshGrain grain) => await grain.GetNamespacesAsync();

    private static NamespaceConfig Config(string ns, string host) => NamespaceConfig.Empty(ns) with { Services = [Service(host)] };

    [Fact]
    public async Task Claim_HigherEpoch_BecomesCurrent()
    {
        var fence = NewFence();

        await fence.ClaimAsync(1, "a");
        await fence.ClaimAsync(3, "b");

        var current = await fence.GetAsync();
        Assert.Equal((3L, "b"), (current.Epoch, current.Holder));
        Assert.NotNull(current.ClaimedAt);
    }

    [Theory]
    [InlineData(4, "b")] // lower, another holder
    [InlineData(4, "a")] // lower, even by the holder itself
    [InlineData(5, "b")] // equal, another holder
    public async Task Claim_NotAboveCurrent_Throws_AndKeepsTheCurrentWriter(long epoch, string holder)
    {
        var fence = NewFence();
        await fence.ClaimAsync(5, "a");

        var e = await Assert.ThrowsAsync<StaleWriterException>(() => fence.ClaimAsync(epoch, holder));

        Assert.Equal((epoch, 5L, "a"), (e.RejectedEpoch, e.CurrentEpoch, e.CurrentHolder));
        Assert.Contains("epoch 5", e.Message, StringComparison.Ordinal);
        var current = await fence.GetAsync();
        Assert.Equal((5L, "a"), (current.Epoch, current.Holder));
    }

    [Fact]
    public async Task Claim_SameEpochBySameHolder_IsIdempotent()
    {
        var fence = NewFence();
        await fence.ClaimAsync(2, "a");
        var first = await fence.GetAsync();

        await fence.ClaimAsync(2, "a");

        Assert.Equal(first, await fence.GetAsync());
    }

    [Fact]
    public async Task ServiceUpdate_WithCurrentEpoch_Applies()
    {
        var (_, current) = await HandOverAsync();
        var (grain, before) = await ServiceAsync();

        await grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.2")], WriterEpoch = current });

        Assert.NotEqual(Versions(before), Versions(await SnapshotAsync(grain)));
    }

    [Fact]
    public async Task ServiceUpdate_WithStaleEpoch_IsRejected_CountedAndChangesNothing()
    {
        var (stale, current) = await HandOverAsync();
        var (grain, before) = await ServiceAsync();
        long rejected = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "Mesh.Grains" && i.Name == "mesh_grain_stale_writes")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            if (tags.ToArray().Contains(new("grain", "service")))
            {
                Interlocked.Add(ref rejected, v);
            }
        });
        listener.Start();

        var e = await Assert.ThrowsAsync<StaleWriterException>(() =>
            grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.2")], WriterEpoch = stale }));

        Assert.Equal((stale, current, "new-leader"), (e.RejectedEpoch, e.CurrentEpoch, e.CurrentHolder));
        Assert.Contains(grain.GetPrimaryKeyString(), e.Message, StringComparison.Ordinal);
        Assert.Equal(Versions(before), Versions(await SnapshotAsync(grain)));
        Assert.Equal(1, Interlocked.Read(ref rejected));
    }

    [Fact]
    public async Task ServiceUpdate_WithEpochZero_AppliesAfterAClaim()
    {
        await HandOverAsync();
        var (grain, before) = await ServiceAsync();

        await grain.UpdateAsync(new ServiceUpdate { Removed = true });

        var after = await SnapshotAsync(grain);
        Assert.NotEmpty(before.Resources);
        Assert.False(after.Exists);
        Assert.Empty(after.Resources);
    }

    [Fact]
    public async Task NamespaceUpdate_IsRejectedWithAStaleEpoch_AndAppliedWithTheCurrentOneOrZero()
    {
        var (stale, current) = await HandOverAsync();
        var ns = $"n{Guid.NewGuid():N}"[..12];
        var grain = fixture.Client.GetGrain<INamespaceGrain>(ns);
        await grain.UpdateAsync(Config(ns, $"a.{ns}.svc.cluster.local"), current);

        await Assert.ThrowsAsync<StaleWriterException>(() => grain.UpdateAsync(Config(ns, $"stale.{ns}.svc.cluster.local"), stale));
        Assert.Equal([$"a.{ns}.svc.cluster.local"], await HostsAsync(grain));

        await grain.UpdateAsync(Config(ns, $"b.{ns}.svc.cluster.local"), writerEpoch: 0);
        Assert.Equal([$"b.{ns}.svc.cluster.local"], await HostsAsync(grain));
    }

    [Fact]
    public async Task MeshSetNamespacesAndSetReady_AreRejectedWithAStaleEpoch_AndAppliedWithTheCurrentOneOrZero()
    {
        var (stale, current) = await HandOverAsync();
        var grain = fixture.Client.GetGrain<IMeshGrain>($"mesh-{Guid.NewGuid():N}");
        await grain.SetNamespacesAsync(["a"], current);

        await Assert.ThrowsAsync<StaleWriterException>(() => grain.SetNamespacesAsync(["stale"], stale));
        await Assert.ThrowsAsync<StaleWriterException>(() => grain.SetReadyAsync(stale));
        Assert.Equal(["a"], await NamespacesAsync(grain));
        Assert.False(await grain.IsReadyAsync());

        await grain.SetNamespacesAsync(["b"]);
        await grain.SetReadyAsync(current);
        Assert.Equal(["b"], await NamespacesAsync(grain));
        Assert.True(await grain.IsReadyAsync());
    }
}
