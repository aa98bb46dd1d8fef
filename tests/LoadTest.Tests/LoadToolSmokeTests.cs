using System.Text.Json;
using Mesh.LoadTest;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// The load tool's two scenarios, small, through their in-process entry points: 100 proxies over
/// 10 services; every proxy reaches its full config, every endpoint change converges at every
/// proxy that sees the service, nothing is pushed to proxies that do not, and the JSON report parses.
/// </summary>
[Trait("Category", "Functional")]
public sealed class LoadToolSmokeTests : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("mesh-loadtest-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public async Task Connect_HundredProxiesTenServices_AllReachFullConfigAndTheReportParses()
    {
        var result = await Scenarios.RunConnectAsync(Options());

        Assert.True(result.AllFullConfig, $"{result.FullConfig} with full config, {result.InSync} in sync of 100: {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(0, result.FailedToStart);
        Assert.Equal(100, result.TimeToFullConfig.Count);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(result.JsonPath!));
        Assert.Equal(100, json.RootElement.GetProperty("TimeToFullConfig").GetProperty("Count").GetInt64());
        Assert.True(File.Exists(result.MarkdownPath));
    }

    [Fact]
    public async Task EdsChurn_FiveChangesHalfTheProxiesSeeThem_EveryChangeConvergesAndNothingReachesTheOthers()
    {
        var result = await Scenarios.RunEdsChurnAsync(Options() with { Changes = 5, Rate = 5, VisibleFraction = 0.5 });

        Assert.True(result.Connect.AllFullConfig, $"connect: {result.Connect.FullConfig} with full config, {result.Connect.InSync} in sync: {string.Join(" || ", result.Connect.SomeProblems)}");
        Assert.Equal(5, result.ChangesApplied);
        Assert.True(result.ChangesConverged == 5, $"converged {result.ChangesConverged}/5 (ms per change: {string.Join(", ", result.ConvergenceMsPerChange)}): {string.Join(" || ", result.SomeProblems)}");
        Assert.Equal(100, result.FinalInSync);
        Assert.Equal(50, result.AffectedProxies);
        Assert.Equal(50, result.UnaffectedProxies);
        Assert.Equal(0, result.UnsubscribedEdsUpdates);
        Assert.Equal(0, result.ResponsesToUnaffected);
        Assert.True(result.Pushes["eds"].Changed >= 5 * 50, $"each change reaches 50 proxies as a changed EDS resource: {result.Pushes["eds"]}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(result.JsonPath!));
        Assert.Equal(5, json.RootElement.GetProperty("Convergence").GetProperty("Count").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("ResponsesToUnaffected").GetInt64());
    }

    private LoadOptions Options() => new()
    {
        Proxies = 100,
        Services = 10,
        Endpoints = 3,
        DeltaShare = 0.5,
        ResultsDir = _results,
        Live = false,
        Timeout = TimeSpan.FromSeconds(60),
    };
}
