using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Observers;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>Batched status reports: one grain call per node per flush carries the latest sent/ACK per type and every NACK.</summary>
public sealed class ProxyReportsTests
{
    private static ProxyEvent Sent(string type, string v) => new(ProxyEventKind.Sent, type, v, null);

    private static ProxyEvent Ack(string type, string v) => new(ProxyEventKind.Ack, type, v, null);

    [Fact]
    public void Take_ManySendsAndAcksOfOneType_KeepsOnlyTheLatestOfEach()
    {
        var reports = new ProxyReports();
        for (var i = 1; i <= 50; i++)
        {
            reports.Add("n1", Sent(TypeUrls.Endpoint, $"v{i}"));
            reports.Add("n1", Ack(TypeUrls.Endpoint, $"v{i}"));
        }
        reports.Add("n1", Sent(TypeUrls.Endpoint, "v51"));

        var events = reports.Take("n1").Events;

        Assert.Equal(new[] { Ack(TypeUrls.Endpoint, "v50"), Sent(TypeUrls.Endpoint, "v51") }, events.ToArray());
        Assert.True(reports.Take("n1").IsEmpty);
    }

    [Fact]
    public void Take_NacksAreAllKeptInOrder_UpToTheCap()
    {
        var reports = new ProxyReports();
        reports.Add("n1", Sent(TypeUrls.Cluster, "c1"));
        reports.Add("n1", new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Cluster, "c1", "bad lb"));
        reports.Add("n1", Sent(TypeUrls.Listener, "l1"));
        reports.Add("n1", new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Listener, "l1", "bad filter"));
        for (var i = 0; i < ProxyReports.MaxNacksPerFlush + 10; i++)
        {
            reports.Add("n2", new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Route, $"r{i}", "x"));
        }

        var n1 = reports.Take("n1").Events;
        var n2 = reports.Take("n2").Events;

        Assert.Equal(["bad lb", "bad filter"], n1.Where(e => e.Kind == ProxyEventKind.Nack).Select(e => e.Error));
        Assert.Equal(4, n1.Length);
        Assert.Equal(ProxyReports.MaxNacksPerFlush, n2.Length);
        Assert.Equal("r0", n2[0].Version);
    }

    [Fact]
    public async Task TakeAll_WhileWritersAdd_LosesNoNodeAndNoNack()
    {
        var reports = new ProxyReports();
        var taken = new List<ProxyEvent>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                reports.Add($"n{i}", new ProxyEvent(ProxyEventKind.Nack, TypeUrls.Route, $"{w}-{i}", "x"));
            }
        })).ToList();
        var flusher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (_, report) in reports.TakeAll())
                {
                    taken.AddRange(report.Events);
                }
                await Task.Yield();
            }
        });

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await flusher;
        foreach (var (_, report) in reports.TakeAll())
        {
            taken.AddRange(report.Events);
        }

        // At most 4 NACKs per node per batch (one per writer), far below the cap: every one must land in exactly one batch,
        // including those added while a flush closed the node's batch.
        Assert.Equal(40_000, taken.Count);
        Assert.Equal(40_000, taken.Select(e => e.Version).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(0, reports.PendingNodes);
    }

    [Fact]
    public void IsDue_WaitsWhileEventsKeepComing_ThenFlushesOnceQuietOrAtTheMaxDelay()
    {
        var time = new FakeTimeProvider();
        var reports = new ProxyReports(time);
        var quiet = TimeSpan.FromMilliseconds(300);
        var maxDelay = TimeSpan.FromSeconds(5);
        Assert.False(reports.IsDue(quiet, maxDelay)); // nothing waiting

        // A fan-out: an event every 100 ms for 2 s. Never quiet, not yet at the max delay.
        for (var i = 0; i < 20; i++)
        {
            reports.Add($"n{i}", Sent(TypeUrls.Endpoint, "v1"));
            time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(reports.IsDue(quiet, maxDelay), $"due after {i + 1} events 100 ms apart");
        }

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(reports.IsDue(quiet, maxDelay));
        Assert.Equal(20, reports.TakeAll().Count);
        Assert.False(reports.IsDue(quiet, maxDelay));

        // Pushes that never pause: the oldest waiting event forces a flush at the max delay.
        for (var i = 0; i < 49; i++)
        {
            reports.Add("n0", Ack(TypeUrls.Endpoint, $"v{i}"));
            time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(reports.IsDue(quiet, maxDelay), $"due {i + 1}00 ms after the first event");
        }
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(reports.IsDue(quiet, maxDelay));
        var batch = Assert.Single(reports.TakeAll());
        Assert.Equal([Ack(TypeUrls.Endpoint, "v48")], batch.Report.Events.ToArray());
    }

    [Fact]
    public void Connect_GoesWithTheNodesNextReport_AndStartsItsStatusOver()
    {
        var reports = new ProxyReports();
        reports.Add("n1", Sent(TypeUrls.Cluster, "old"));
        var registration = new ProxyRegistration("n1", ProxyKind.Sidecar, "ns", "w", "10.0.0.1",
            System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty, "gw-1");

        reports.Connect("n1", registration);
        reports.Add("n1", Sent(TypeUrls.Cluster, "new"));

        var report = Assert.Single(reports.TakeAll()).Report;
        Assert.Same(registration, report.Connected);
        Assert.Equal([Sent(TypeUrls.Cluster, "new")], report.Events.ToArray());
        Assert.Empty(reports.TakeAll());
    }
}
