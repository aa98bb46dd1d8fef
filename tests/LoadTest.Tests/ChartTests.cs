using System.Buffers.Binary;

namespace Mesh.LoadTest.Tests;

[Trait("Category", "Functional")]
public sealed class ChartTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-chart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteScatter_TwoSeries_Writes1200x600Png_ThatDependsOnTheData()
    {
        var a = Write("a.png", [Series(seed: 1, points: 500), Series(seed: 2, points: 500)]);
        var b = Write("b.png", [Series(seed: 3, points: 500), Series(seed: 4, points: 500)]);

        AssertPng(a);
        Assert.True(a.Length > 20_000, $"only {a.Length} bytes: a blank chart?");
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void WriteScatter_DrawsText_FromTheEmbeddedFont()
    {
        // Only the labels differ, so different bytes mean text was drawn, with or without system fonts.
        var a = Write("a.png", [Series(seed: 1, points: 10)]);
        var b = Write("b.png", [Series(seed: 1, points: 10)], "Another title");

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void WriteScatter_NoData_StillWritesAChart()
    {
        var empty = Write("empty.png", [new ChartSeries("changes", [], [])]);
        var none = Write("none.png", []);

        AssertPng(empty);
        AssertPng(none);
        Assert.True(empty.Length > 5_000, $"only {empty.Length} bytes");
    }

    [Fact]
    public void WriteScatter_HundredThousandPoints_WritesAChart()
    {
        // A 100,000-proxy connect charts one point per proxy.
        var png = Write("many.png", [Series(seed: 5, points: 100_000)]);

        AssertPng(png);
        Assert.True(png.Length > 20_000, $"only {png.Length} bytes");
    }

    [Fact]
    public void WriteScatter_MismatchedSeries_Throws() =>
        Assert.Throws<ArgumentException>(() => Write("bad.png", [new ChartSeries("bad", [1, 2], [1])]));

    private byte[] Write(string name, ChartSeries[] series, string title = "Convergence over time")
    {
        var path = Path.Combine(_dir, name);
        Chart.WriteScatter(path, title, "seconds since churn start", "convergence (ms)", series, [(2000, "p99 target 2000 ms")]);
        return File.ReadAllBytes(path);
    }

    private static ChartSeries Series(int seed, int points)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, points).Select(i => i * 60.0 / points).ToArray();
        var y = x.Select(_ => 50 + (random.NextDouble() * 1500)).ToArray();
        return new ChartSeries($"series {seed}", x, y);
    }

    private static void AssertPng(byte[] png)
    {
        Assert.Equal(PngSignature, png[..8]);
        // The first chunk is IHDR: length (4), type (4), then width and height, big-endian.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(1200, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(600, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
