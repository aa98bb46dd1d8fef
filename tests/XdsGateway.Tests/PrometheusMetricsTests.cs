using System.Diagnostics.Metrics;
using Mesh.Hosting;

namespace Mesh.XdsGateway.Tests;

/// <summary>
/// Histograms reach /metrics as Prometheus histograms, with buckets an operator reads a p99 from
/// (they were rendered as a summary of count and sum only).
/// </summary>
[Trait("Category", "BVT")]
public sealed class PrometheusMetricsTests
{
    [Fact]
    public void AHistogramWithAdvice_HasCumulativeBucketsAtItsBoundaries_ThenSumAndCount()
    {
        using var metrics = new PrometheusMetrics();
        using var meter = new Meter($"Mesh.Test.{Guid.NewGuid():N}");
        var name = $"test_wait_{Guid.NewGuid():N}_seconds";
        var h = meter.CreateHistogram<double>(name, "s", "a wait", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 5] });

        foreach (var v in new[] { 0.05, 0.1, 0.7, 3, 9 })
        {
            h.Record(v, new KeyValuePair<string, object?>("grain", "scope"));
        }

        var lines = metrics.Render().Split('\n').Where(l => l.Contains(name, StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            $"# HELP {name} a wait",
            $"# TYPE {name} histogram",
            $"{name}_bucket{{grain=\"scope\",le=\"0.1\"}} 2", // 0.1 itself is at or under its bound
            $"{name}_bucket{{grain=\"scope\",le=\"1\"}} 3",
            $"{name}_bucket{{grain=\"scope\",le=\"5\"}} 4",
            $"{name}_bucket{{grain=\"scope\",le=\"+Inf\"}} 5",
            $"{name}_sum{{grain=\"scope\"}} 12.85",
            $"{name}_count{{grain=\"scope\"}} 5",
        ], lines);
    }

    [Fact]
    public void AHistogramWithoutAdvice_GetsTheDefaultBucketsOfItsUnit()
    {
        using var metrics = new PrometheusMetrics();
        using var meter = new Meter($"Mesh.Test.{Guid.NewGuid():N}");
        var seconds = $"test_a_{Guid.NewGuid():N}_seconds";
        var bytes = $"test_b_{Guid.NewGuid():N}_bytes";
        meter.CreateHistogram<double>(seconds, "s").Record(0.3);
        meter.CreateHistogram<long>(bytes, "By").Record(600);

        var text = metrics.Render();

        var secondsBuckets = text.Split('\n').Where(l => l.StartsWith(seconds + "_bucket", StringComparison.Ordinal)).ToList();
        Assert.Equal(PrometheusMetrics.DefaultSecondsBuckets.Count + 1, secondsBuckets.Count);
        Assert.Contains($"{seconds}_bucket{{le=\"0.25\"}} 0", secondsBuckets);
        Assert.Contains($"{seconds}_bucket{{le=\"0.5\"}} 1", secondsBuckets);
        Assert.Contains($"{bytes}_bucket{{le=\"500\"}} 0", text, StringComparison.Ordinal);
        Assert.Contains($"{bytes}_bucket{{le=\"750\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"{bytes}_count 1", text, StringComparison.Ordinal);
    }
}
