using System.Text.Json;
using Mesh.LoadTest;
using Mesh.LoadTest.Ingest;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// Every scenario of the load tool, small (200 proxies over 10 services, half delta, half SotW),
/// through its in-process entry point: every proxy reaches its full config, every change converges
/// at every proxy that sees the service, nothing is pushed to proxies that do not, delta proxies
/// moved by a gateway kill are resent nothing unchanged, and the JSON report and PNG chart exist.
/// </summary>
[Trait("Category", "Functional")]
public sealed class LoadToolSmokeTests : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("mesh-loadtest-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public async Task Connect_DependencyGraph_EachGroupGetsExactlyItsServicesAndTheReportParses()
    {
        // 4 groups seeing 5 of 10 services each (fan-in 2): the Sidecars must hold every proxy to its group's services.
        var result = await Scenarios.RunConnectAsync(Options() with { Groups = 4, Deps = 5 });

        Assert.True(result.AllFullConfig, $"{result.FullConfig} with full config, {result.InSync} in sync of 200: {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(0, result.FailedToStart);
        Assert.Equal(200, result.TimeToFullConfig.Count);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        Assert.Equal(200 * 5, result.Pushes["eds"].Changed);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(result.JsonPath!));
        Assert.Equal(200, json.RootElement.GetProperty("TimeToFullConfig").GetProperty("Count").GetInt64());
        Assert.True(File.Exists(result.MarkdownPath));
        AssertPng(result.ChartPath);
    }

    [Fact]
    public async Task EdsChurn_FiveChangesHalfTheProxiesSeeThem_EveryChangeConvergesAndNothingReachesTheOthers()
    {
        var result = await Scenarios.RunEdsChurnAsync(Options() with { Changes = 5, Rate = 5, VisibleFraction = 0.5 });

        Assert.True(result.Connect.AllFullConfig, $"connect: {result.Connect.FullConfig} with full config, {result.Connect.InSync} in sync: {string.Join(" || ", result.Connect.SomeProblems)}");
        Assert.Equal(5, result.ChangesApplied);
        Assert.True(result.ChangesConverged == 5, $"converged {result.ChangesConverged}/5 (ms per change: {string.Join(", ", result.ConvergenceMsPerChange)}): {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(200, result.FinalInSync);
        Assert.Equal(100, result.AffectedProxies);
        Assert.Equal(100, result.UnaffectedProxies);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        Assert.Equal(0, result.ResponsesToUnaffected);
        Assert.True(result.Pushes["eds"].Changed >= 5 * 100, $"each change reaches 100 proxies as a changed EDS resource: {result.Pushes["eds"]}");
        Assert.Equal(5, result.ConvergenceFromApply.Count);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(result.JsonPath!));
        Assert.Equal(5, json.RootElement.GetProperty("Convergence").GetProperty("Count").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("ResponsesToUnaffected").GetInt64());
        AssertPng(result.ChartPath);
    }

    [Fact]
    public async Task ConfigChurn_VirtualServiceAndDestinationRuleChangesToOneService_ReachOnlyItsSeers()
    {
        // 5 groups, each seeing 2 of 10 services (group j: s(2j), s(2j+1)); changes go to s0, seen by group 0 only
        // (proxies 0, 5, 10, …: 40 seers, 20 delta and 20 SotW, as every group gets the delta share).
        var result = await Scenarios.RunConfigChurnAsync(Options() with { Groups = 5, Deps = 2, FanoutServices = 1, Changes = 6, Rate = 2 });

        Assert.True(result.Connect.AllFullConfig, $"connect: {result.Connect.FullConfig} with full config: {string.Join(" || ", result.Connect.SomeProblems)}");
        Assert.Equal(6, result.ChangesApplied);
        Assert.True(result.ChangesConverged == 6, $"converged {result.ChangesConverged}/6 (ms per change: {string.Join(", ", result.ConvergenceMsPerChange)}): {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(40, result.AffectedProxies);
        Assert.Equal(160, result.UnaffectedProxies);
        Assert.Equal(200, result.FinalInSync);
        Assert.Equal(0, result.ResponsesToUnaffected);
        // Three VirtualService changes to s0's route 80 and three DestinationRule changes of its cluster (each
        // a different load balancer), 500 ms apart. Convergence above holds each change to reaching every seer
        // or being superseded by a later one of the same kind: the ingest's 100 ms debounce may merge writes
        // that land close together on a busy machine, and a stream's one in-flight response per type
        // coalesces (latest wins). So each seer gets at least the last change and never more than one
        // response per change.
        Assert.InRange(result.Pushes["rds"].Changed, 40, 3 * 40);
        Assert.InRange(result.Pushes["cds"].Changed, 40, 3 * 40);
        // Route 80 is a seer's only route: every route the seers received was a change, none an unchanged repeat.
        Assert.True(result.Pushes["rds"].Resources == result.Pushes["rds"].Changed, $"rds: {result.Pushes["rds"]}");
        Assert.Equal(0, result.Pushes["eds"].Changed);
        AssertPng(result.ChartPath);
    }

    [Fact]
    public async Task ReconnectStorm_GatewayKilled_MovedProxiesResyncAndDeltaGetsOnlyTheChange()
    {
        var result = await Scenarios.RunReconnectStormAsync(Options() with { Cluster = true, GatewayCount = 2, ChangesDuringOutage = 1, Timeout = TimeSpan.FromSeconds(90) });

        Assert.True(result.Connect.AllFullConfig, $"connect: {result.Connect.FullConfig} with full config: {string.Join(" || ", result.Connect.SomeProblems)}");
        Assert.Equal(100, result.ProxiesOnKilledGateway);
        Assert.True(result.BackInSync == 100, $"{result.BackInSync}/100 back in sync: {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(200, result.FinalInSync);
        Assert.Equal(50, result.MovedDeltaProxies);
        Assert.Equal(50, result.MovedSotwProxies);
        // X-38: a delta proxy resuming on another gateway is sent only what changed (s0's EDS), nothing it already holds.
        Assert.All(result.MovedDeltaPushes, t => Assert.Equal(0, t.Value.Resent));
        Assert.Equal(50, result.MovedDeltaPushes["eds"].Changed);
        Assert.Equal(0, result.MovedDeltaPushes["cds"].Resources);
        Assert.Equal(0, result.SafetyViolations);
        Assert.Equal(0, result.Connect.UnsubscribedEdsUpdates);
        AssertPng(result.ChartPath);
    }

    [Fact]
    public async Task Limit_SameSwarmAgainstThePreSerializedServer_AllHoldEveryChange()
    {
        var result = await LimitScenario.RunAsync(Options() with { Changes = 5 });

        Assert.Equal(200, result.FullConfig);
        Assert.Equal(200, result.Connect.InSync);
        Assert.Equal(5, result.FanoutConverged);
        Assert.True(result.FanoutPerSecondP50 > 0);
        // One EDS response per stream per change.
        Assert.Equal(5 * 200, result.ResponsesWritten);
        AssertPng(result.ChartPath);
    }

    [Fact]
    public async Task Ingest_SmallCluster_SyncsEveryObject_AppliesEveryMove_HeartbeatsChangeNothing_ProbeGetsItsMoves()
    {
        // 200 Services × 5 endpoints over 10 namespaces; 5 s of churn at 200 events/s, half of them Pod heartbeats.
        var options = new IngestOptions
        {
            Services = 200, Endpoints = 5, Namespaces = 10, Nodes = 10, Rate = 200, ChurnDuration = TimeSpan.FromSeconds(5),
            HeartbeatShare = 0.5, Timeout = TimeSpan.FromSeconds(120), ResultsDir = _results,
        };
        var r = await IngestScenario.RunAsync(options, CancellationToken.None);

        Assert.True(r.Problems.Count == 0, string.Join(" || ", r.Problems));
        Assert.Equal(r.ObjectsInApi.Values.Sum(), r.ObjectsListed);
        Assert.Equal(1000, r.ObjectsInApi["Pod"]);
        Assert.True(r.EndpointMoves >= 400 && r.Heartbeats >= 400, $"moves {r.EndpointMoves}, heartbeats {r.Heartbeats}");
        Assert.Equal(r.EndpointMoves, r.SliceEventsSeen);
        Assert.Equal(r.Heartbeats, r.PodEventsSeen);
        Assert.Equal(r.EndpointMoves, r.SliceChanges); // every move is an effective change …
        Assert.Equal(0, r.PodChanges); // … and no heartbeat is
        Assert.InRange(r.GrainWrites, 1, r.EndpointMoves); // a move writes its one service at most; heartbeats nothing
        // Moves to ns-0's services (every 10th) reach the probe proxy, whose Sidecar limits it to ns-0.
        Assert.Equal(0, r.ProbeMissing);
        Assert.Equal((r.EndpointMoves + 9) / 10, r.WriteToProbe.Count);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(r.JsonPath!));
        Assert.Equal(r.EndpointMoves, json.RootElement.GetProperty("EndpointMoves").GetInt32());
        AssertPng(r.ChartPath);
    }

    private static void AssertPng(string? path)
    {
        Assert.NotNull(path);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path}: {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    private LoadOptions Options() => new()
    {
        Proxies = 200,
        Services = 10,
        Endpoints = 3,
        DeltaShare = 0.5,
        ResultsDir = _results,
        Live = false,
        Timeout = TimeSpan.FromSeconds(60),
    };
}
