using System.Collections.Immutable;
using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Grains.Tests;

/// <summary>
/// The silo catalog against the order things arrive in: a renewal fetches every namespace's
/// snapshot, and a notification can land while that fetch is in flight.
/// </summary>
public sealed class SiloCatalogTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ServiceScopeView View(string host, string ns, string cluster) =>
        new(host, cluster, new ScopeService(host, ns, [], [new MeshServicePort("http", 80, Protocol.Http, null)], [cluster], []));

    [Fact]
    public async Task RenewalFetchedBeforeANotification_DoesNotPutTheOlderViewBack()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        using var catalog = new SiloCatalog(fixture.Client, TimeProvider.System, MeshSettings.Default, services, NullLogger<SiloCatalog>.Instance);
        var ns = ScopeGrainTests.NewNamespace();
        var svc = ScopeGrainTests.Service("a", ns);
        var config = new NamespaceConfig(ns, [svc], [], [], []);
        var scope = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "old")]), catalog.Stamp);

        // A renewal sends its fetch; the service changes and its notification lands first; then the
        // fetch's answer, still holding the old view.
        var fetchedAt = catalog.Stamp;
        await catalog.OnServiceViewChangedAsync(ns, View(svc.Hostname, ns, "new"));
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "old")]), fetchedAt);

        Assert.Equal<string>(["new"], catalog.ReadScope("test/" + ns, scope).Services.Single().ClusterNames);

        // A fetch sent after the notification is current: it applies (this is how a renewal repairs a lost notification).
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "repaired")]), catalog.Stamp);
        Assert.Equal<string>(["repaired"], catalog.ReadScope("test/" + ns, scope).Services.Single().ClusterNames);
    }

    [Fact]
    public void AFenceDeadlineTimerFiringBeforeTheWallClockReachesIt_IsArmedAgain_AndTheScopeIsToldOnce()
    {
        // Timers count whole milliseconds on their own clock and can fire a little before the wall
        // clock reaches the time asked for; here every timer fires half a millisecond early. The fired timer used
        // to be kept as "armed for that deadline", so the deadline never fired again and the host
        // stayed in the fence's scopes (LazyFenceTests failed so about once in 25 runs).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var early = new EarlyTimers(clock, TimeSpan.FromMilliseconds(0.5));
        using var services = new ServiceCollection().BuildServiceProvider();
        using var catalog = new SiloCatalog(fixture.Client, early, MeshSettings.Default, services, NullLogger<SiloCatalog>.Instance);
        var ns = ScopeGrainTests.NewNamespace();
        var deadline = clock.GetUtcNow().AddSeconds(6);
        var fence = new ServiceFence(ObjectMeta.Of("web", ns), ServiceFence.ApiVersions[0], true,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [
                KeyValuePair.Create($"ledger.{ns}.svc.cluster.local", new FenceHostPolicy(FenceRecycling.Deadline, Expire: deadline)),
            ]),
            [], [], null);
        catalog.ApplyFetched(new NamespaceSnapshot(NamespaceConfig.Empty(ns) with { ServiceFences = [fence] }, []), catalog.Stamp);
        catalog.ReadScope("test/fenced/" + ns, ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null, fence: "web"));

        clock.Advance(TimeSpan.FromSeconds(6) - TimeSpan.FromMilliseconds(0.5)); // the timer fires; 0.5 ms to go
        Assert.Equal(0, catalog.DeadlineNotifications);

        clock.Advance(TimeSpan.FromMilliseconds(0.5)); // the re-armed timer (1 ms, also early) fires at the deadline
        Assert.Equal(1, catalog.DeadlineNotifications);

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, catalog.DeadlineNotifications); // told once, not again
    }

    /// <summary><paramref name="inner"/>, whose timers fire <paramref name="early"/> before the time asked for.</summary>
    private sealed class EarlyTimers(FakeTimeProvider inner, TimeSpan early) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime > early ? dueTime - early : TimeSpan.Zero, period);
    }
}
