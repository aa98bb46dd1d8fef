namespace Mesh.LoadTest.Tests;

/// <summary>
/// The <c>lazy-learn</c> benchmark, small and embedded: 12 fenced sidecars (delta and SotW) reach
/// their fenced config, the admin API seeds every fence, each access-log learning event reaches
/// every proxy of its workload (the scenario exits 1 on any event not held within 30 s), and the
/// report records each phase.
/// </summary>
[Trait("Category", "Functional")]
public sealed class LazyLearnSmokeTests : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("mesh-lazy-learn-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact(Timeout = 240_000)]
    public async Task LazyLearn_Embedded_EveryEventReachesEveryProxyOfItsWorkload_AndTheReportHasEveryPhase()
    {
        var exit = await LazyLearnScenario.RunAsync(new LazyLearnScenario.Options(
            Services: 40, Endpoints: 2, Workloads: 6, ProxiesPerWorkload: 2, Rate: 50, Events: 30, Cluster: false, Ramp: 100, IdleSeconds: 1, SeedHosts: 3,
            ResultsDir: _results), CancellationToken.None);

        Assert.Equal(0, exit);
        var report = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(_results, "lazy-learn-*.md")));
        Assert.Contains("connect: 12/12", report, StringComparison.Ordinal);
        Assert.Contains("- learning: 30 events", report, StringComparison.Ordinal);
        Assert.Contains("0 not held within 30 s", report, StringComparison.Ordinal);
        Assert.Contains("- seed: 18 hosts seeded", report, StringComparison.Ordinal);
    }
}
