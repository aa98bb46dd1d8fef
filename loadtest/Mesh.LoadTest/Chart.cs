using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using ScottPlot;
using SkiaSharp;

namespace Mesh.LoadTest;

/// <summary>One series of a scatter chart: point i is (<c>X[i]</c>, <c>Y[i]</c>).</summary>
internal sealed record ChartSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// Writes the reports' PNG charts with ScottPlot. All text is drawn in Inter, which this assembly
/// embeds (see the csproj), so a host with no fonts installed still gets titles, ticks and legends.
/// </summary>
internal static class Chart
{
    public const int Width = 1200;
    public const int Height = 600;
    public const string FontName = "Inter";

    static Chart() => Fonts.FontResolvers.Insert(0, new InterFontResolver());

    /// <summary>
    /// Writes a <see cref="Width"/>×<see cref="Height"/> PNG with one colour of markers per series,
    /// optional dashed horizontal reference lines (a target, say) and a legend. The y axis starts at
    /// zero when no value is negative. A chart with no points says "no data".
    /// </summary>
    public static void WriteScatter(
        string pngPath, string title, string xLabel, string yLabel,
        IReadOnlyList<ChartSeries> series, IReadOnlyList<(double Y, string Label)>? lines = null)
    {
        using var plot = new Plot();
        var points = 0;
        var minY = double.PositiveInfinity;
        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Series '{s.Label}' has {s.X.Count} x but {s.Y.Count} y values.", nameof(series));
            points += s.X.Count;
        }
        foreach (var s in series.Where(s => s.X.Count > 0))
        {
            var ys = s.Y.ToArray();
            minY = Math.Min(minY, ys.Min());
            var scatter = plot.Add.ScatterPoints(s.X.ToArray(), ys);
            scatter.LegendText = s.Label;
            scatter.MarkerSize = points > 10_000 ? 2 : 5;
        }
        foreach (var (y, label) in lines ?? [])
        {
            plot.Add.HorizontalLine(y, width: 2, pattern: LinePattern.Dashed).LegendText = label;
            minY = Math.Min(minY, y);
        }

        if (points == 0)
        {
            plot.Add.Annotation("no data", Alignment.MiddleCenter);
            var top = lines is { Count: > 0 } ? lines.Max(l => l.Y) * 1.1 : 0;
            plot.Axes.SetLimits(0, 1, 0, top > 0 ? top : 1);
        }
        else if (minY >= 0)
        {
            plot.Axes.AutoScale();
            plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top);
        }
        if (plot.GetPlottables().Any(p => p.LegendItems.Any(i => !string.IsNullOrEmpty(i.LabelText))))
            plot.ShowLegend(Edge.Right);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Font.Set(FontName); // last, so it reaches everything added above
        plot.SavePng(pngPath, Width, Height);
    }

    /// <summary>Answers for <see cref="FontName"/> only, with Inter Regular or Bold.</summary>
    private sealed class InterFontResolver : IFontResolver
    {
        private static readonly Lazy<(SKTypeface Regular, SKTypeface Bold)> Faces = new(Load);

        public SKTypeface CreateTypeface(string fontName, bool bold, bool italic) =>
            !string.Equals(fontName, FontName, StringComparison.OrdinalIgnoreCase) ? null!
            : bold ? Faces.Value.Bold : Faces.Value.Regular;

        public SKTypeface CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            CreateTypeface(fontName, weight >= FontWeight.SemiBold, slant != FontSlant.Upright);

        /// <summary>
        /// Reads the .ttf files out of the embedded Avalonia.Fonts.Inter assembly without loading it:
        /// its managed resource <c>!AvaloniaResources</c> is an int32 index size, then the index
        /// (int32 version, int32 count, then per file a string path, int32 offset and int32 size),
        /// then the files, at offsets counted from the end of the index.
        /// </summary>
        private static (SKTypeface, SKTypeface) Load()
        {
            using var dll = typeof(Chart).Assembly.GetManifestResourceStream("Mesh.LoadTest.Inter.dll")
                ?? throw new InvalidOperationException("Mesh.LoadTest.Inter.dll is not embedded; see Mesh.LoadTest.csproj.");
            using var pe = new PEReader(dll, PEStreamOptions.PrefetchEntireImage);
            var md = pe.GetMetadataReader();
            var resource = md.ManifestResources.Select(md.GetManifestResource)
                .Single(r => md.StringComparer.Equals(r.Name, "!AvaloniaResources"));
            var section = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress + (int)resource.Offset);
            var blobReader = section.GetReader();
            var blob = blobReader.ReadBytes(blobReader.ReadInt32());

            using var reader = new BinaryReader(new MemoryStream(blob));
            var dataStart = sizeof(int) + reader.ReadInt32();
            if (reader.ReadInt32() != 2)
                throw new InvalidOperationException("Unknown Avalonia resource index version in Avalonia.Fonts.Inter.");
            var files = new Dictionary<string, (int Offset, int Size)>(StringComparer.Ordinal);
            for (var n = reader.ReadInt32(); n > 0; n--)
                files[reader.ReadString()] = (reader.ReadInt32(), reader.ReadInt32());

            SKTypeface Face(string path)
            {
                var (offset, size) = files[path];
                return SKTypeface.FromData(SKData.CreateCopy(blob.AsSpan(dataStart + offset, size)))
                    ?? throw new InvalidOperationException($"Skia could not read {path} from Avalonia.Fonts.Inter.");
            }
            return (Face("/Assets/Inter-Regular.ttf"), Face("/Assets/Inter-Bold.ttf"));
        }
    }
}
