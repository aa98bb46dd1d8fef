using System.Text.Json;
using Mesh.LoadTest;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// The load tool's namespaced mesh, small: 10 namespaces × 20 services, 10 workloads × 1 proxy each
/// (100 proxies, half delta, half SotW), and 5 shared services; each namespace's Sidecar sees
/// <c>./*</c> and <c>shared/*</c>. Every proxy holds exactly its namespace's and the shared clusters;
/// a VirtualService change to a service of ns-0 reaches ns-0's 10 proxies and nothing reaches the
/// other 90; an endpoint change to a shared service reaches all 100; a new namespace reaches none.
/// </summary>
[Trait("Category", "Functional")]
public sealed class NamespacedMeshSmokeTests : IDisposable
{
    private const int Proxies = 100;
    private const int Visible = 20 + 5;
    private readonly string _results = Directory.CreateTempSubdirectory("mesh-loadtest-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public async Task ConfigChurn_VirtualServiceOfOneNamespace_ReachesOnlyThatNamespacesProxies()
    {
        // Three changes to ns-0/s0's VirtualService, 500 ms apart.
        var result = await Scenarios.RunConfigChurnAsync(Options() with { Churn = "namespace", FanoutServices = 1, ConfigKind = "vs", Changes = 3, Rate = 2 });

        AssertConnected(result.Connect);
        Assert.Equal(3, result.ChangesApplied);
        Assert.True(result.ChangesConverged == 3, $"converged {result.ChangesConverged}/3 (ms per change: {string.Join(", ", result.ConvergenceMsPerChange)}): {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(10, result.AffectedProxies);
        Assert.Equal(90, result.UnaffectedProxies);
        Assert.Equal(0, result.ResponsesToUnaffected);
        Assert.Equal(Proxies, result.FinalInSync);
        // Each of ns-0's proxies gets the last change at least, and never more than one route per change.
        Assert.InRange(result.Pushes["rds"].Changed, 10, 3 * 10);
        Assert.Equal(0, result.Pushes["eds"].Changed);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(result.JsonPath!));
        Assert.Equal(0, json.RootElement.GetProperty("ResponsesToUnaffected").GetInt64());
        Assert.Equal(10, json.RootElement.GetProperty("Connect").GetProperty("Shape").GetProperty("Namespaces").GetInt32());
    }

    [Fact]
    public async Task EdsChurn_EndpointOfASharedService_ReachesEveryProxy()
    {
        // Two moves of shared/s0's first endpoint, 500 ms apart.
        var result = await Scenarios.RunEdsChurnAsync(Options() with { Churn = "shared", FanoutServices = 1, Changes = 2, Rate = 2 });

        AssertConnected(result.Connect);
        Assert.Equal(2, result.ChangesApplied);
        Assert.True(result.ChangesConverged == 2, $"converged {result.ChangesConverged}/2 (ms per change: {string.Join(", ", result.ConvergenceMsPerChange)}): {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(Proxies, result.AffectedProxies);
        Assert.Equal(0, result.UnaffectedProxies);
        Assert.Equal(Proxies, result.FinalInSync);
        Assert.InRange(result.Pushes["eds"].Changed, Proxies, 2 * Proxies);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
    }

    [Fact]
    public async Task NamespaceCreate_NoExistingProxySeesIt_NothingIsSentToThem_AndItsProbeHoldsExactlyItsServices()
    {
        var result = await NamespaceCreateScenario.RunAsync(Options() with { NewNamespaceServices = 20 });

        AssertConnected(result.Connect);
        Assert.Equal("ns-10", result.Namespace);
        Assert.True(result.Settled, string.Join(" || ", result.SomeProblems));
        Assert.Equal(0, result.ResponsesToExistingWithProbe);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        Assert.Equal(20 + 5, result.ProbeClusters);
        Assert.True(result.ProbeInSync, string.Join(" || ", result.SomeProblems));
        Assert.True(result.Ok);
        Assert.True(File.Exists(result.MarkdownPath));
    }

    /// <summary>Every proxy holds exactly its namespace's 20 clusters and the 5 shared ones, each with its EDS.</summary>
    private static void AssertConnected(ConnectResult connect)
    {
        Assert.True(connect.AllFullConfig, $"{connect.FullConfig} with full config, {connect.InSync} in sync of {Proxies}: {string.Join(" || ", connect.SomeProblems)}");
        Assert.Equal(0, connect.FailedToStart);
        Assert.Equal(0, connect.UnsubscribedEdsUpdates);
        Assert.Equal(Proxies * Visible, connect.Pushes["eds"].Changed);
        Assert.Equal(Proxies, connect.Options.Proxies);
        Assert.NotNull(connect.Shape);
        Assert.Equal(10 * 10, connect.Shape.Workloads);
        Assert.NotNull(connect.Resets);
    }

    [Fact]
    public async Task ConfigChurn_UnderAStagedRollout_EveryChangePassesEveryStage_ToEveryProxy()
    {
        var result = await Scenarios.RunConfigChurnAsync(Options() with { Churn = "shared", FanoutServices = 1, ConfigKind = "vs", Changes = 2, Rate = 1, RolloutStages = "10,50,100" });

        Assert.True(result.ChangesConverged == 2, $"converged {result.ChangesConverged}/2: {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(Proxies, result.AffectedProxies);
        Assert.Contains("rollouts: 2 succeeded", result.Rollouts, StringComparison.Ordinal);
        Assert.Contains("staged rollout (`--rollout-stages 10,50,100`", await File.ReadAllTextAsync(result.MarkdownPath!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolloutNack_RollsTheCohortBack_AndNoProxyOutsideItIsSentTheCandidate()
    {
        await Scenarios.RunRolloutRollbackAsync(Options() with { Churn = "shared", FanoutServices = 1, Changes = 1, RolloutStages = "20,100", RolloutBake = TimeSpan.FromHours(1) });

        var report = await File.ReadAllTextAsync(Directory.EnumerateFiles(_results, "rollout-rollback-*.md").Single());
        Assert.Contains("0 never sent the baseline again; proxies outside the cohort sent the candidate: 0", report, StringComparison.Ordinal);
        Assert.Matches(@"\(1 NACKed, \d+ accepted it\)", report);
    }

    private LoadOptions Options() => new()
    {
        Namespaces = 10,
        ServicesPerNamespace = 20,
        WorkloadsPerNamespace = 10,
        ProxiesPerWorkload = 1,
        SharedServices = 5,
        Proxies = Proxies,
        Endpoints = 3,
        DeltaShare = 0.5,
        ResultsDir = _results,
        Live = false,
        Timeout = TimeSpan.FromSeconds(60),
    };
}
