namespace Mesh.LoadTest.Tests;

/// <summary>Quantiles the load tool reads from the mesh processes' histogram buckets, as Prometheus' histogram_quantile gives them.</summary>
[Trait("Category", "BVT")]
public sealed class MetricsScrapeTests
{
    private static Dictionary<string, double> Gateway(params (string Le, int Cumulative)[] buckets) =>
        MetricsScrape.Parse(string.Join('\n', buckets.Select(b => $"mesh_fence_learn_to_push_seconds_bucket{{source=\"accesslog\",le=\"{b.Le}\"}} {b.Cumulative}")));

    [Fact]
    public void Quantile_SumsProcessesPerBound_AndInterpolatesWithinTheBucket()
    {
        // Two gateways: together 100 observations, 40 ≤ 0.1 s, 90 ≤ 0.25 s, 98 ≤ 1 s, 2 above.
        var a = Gateway(("0.1", 30), ("0.25", 50), ("1", 58), ("+Inf", 60));
        var b = Gateway(("0.1", 10), ("0.25", 40), ("1", 40), ("+Inf", 40));
        IReadOnlyDictionary<string, double>[] both = [a, b];

        Assert.Equal(0.1 + (0.15 * 10 / 50), MetricsScrape.Quantile(both, "mesh_fence_learn_to_push_seconds", 0.5)!.Value, 6);
        Assert.Equal(0.25 + (0.75 * 5 / 8), MetricsScrape.Quantile(both, "mesh_fence_learn_to_push_seconds", 0.95)!.Value, 6); // rank 95 in (0.25, 1]
        Assert.Equal(1, MetricsScrape.Quantile(both, "mesh_fence_learn_to_push_seconds", 0.99)!.Value, 6); // rank 99 is above every finite bound
        Assert.Equal(0.1 * 20 / 40, MetricsScrape.Quantile(both, "mesh_fence_learn_to_push_seconds", 0.2)!.Value, 6); // the first bucket starts at 0
    }

    [Fact]
    public void Quantile_OfAHistogramWithoutObservations_IsNone()
    {
        Assert.Null(MetricsScrape.Quantile([Gateway(("0.1", 0), ("+Inf", 0))], "mesh_fence_learn_to_push_seconds", 0.99));
        Assert.Null(MetricsScrape.Quantile([MetricsScrape.Parse("mesh_other_total 3")], "mesh_fence_learn_to_push_seconds", 0.99));
    }

    [Fact]
    public void ShareAtMost_IsExactAtABucketBound_AndNoneElsewhere()
    {
        var a = Gateway(("0.1", 30), ("0.25", 50), ("1", 58), ("+Inf", 60));
        var b = Gateway(("0.1", 10), ("0.25", 40), ("1", 40), ("+Inf", 40));
        IReadOnlyDictionary<string, double>[] both = [a, b];

        Assert.Equal(0.9, MetricsScrape.ShareAtMost(both, "mesh_fence_learn_to_push_seconds", 0.25)!.Value, 6); // 90 of 100
        Assert.Equal(0.4, MetricsScrape.ShareAtMost(both, "mesh_fence_learn_to_push_seconds", 0.1)!.Value, 6);
        Assert.Null(MetricsScrape.ShareAtMost(both, "mesh_fence_learn_to_push_seconds", 0.2)); // not a bound: no exact answer
        Assert.Null(MetricsScrape.ShareAtMost([Gateway(("0.25", 0), ("+Inf", 0))], "mesh_fence_learn_to_push_seconds", 0.25));
    }
}
