using System.Globalization;

namespace Mesh.LoadTest;

/// <summary>
/// Reads a Mesh process's Prometheus <c>/metrics</c> into name → value, summed over label sets
/// (xds_*, mesh_*, process_*, dotnet_*); a labelled series is also kept as written, under
/// <c>name{labels}</c> (e.g. <c>mesh_grain_activations{kind="scope"}</c>).
/// </summary>
internal static class MetricsScrape
{
    private static readonly string[] Prefixes = ["xds_", "mesh_", "process_", "dotnet_"];

    public static async Task<IReadOnlyDictionary<string, double>> ReadAsync(HttpClient http, Uri admin, CancellationToken cancellationToken)
    {
        try
        {
            var text = await http.GetStringAsync(new Uri(admin, "/metrics"), cancellationToken).ConfigureAwait(false);
            return Parse(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new Dictionary<string, double>();
        }
    }

    public static Dictionary<string, double> Parse(string text)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || !Prefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var name = line[..(brace >= 0 && brace < space ? brace : space)];
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                result[name] = result.GetValueOrDefault(name) + v;
                if (name.Length < space)
                {
                    result[line[..space]] = v;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile of histogram <paramref name="name"/> over every process and
    /// label set, as Prometheus' <c>histogram_quantile</c> gives it: linear within the bucket holding
    /// the rank, the highest finite bound when it falls in +Inf; null without observations.
    /// </summary>
    public static double? Quantile(IEnumerable<IReadOnlyDictionary<string, double>> processes, string name, double q)
    {
        var byBound = Buckets(processes, name);
        if (!byBound.TryGetValue(double.PositiveInfinity, out var total) || total <= 0)
        {
            return null;
        }
        var rank = q * total;
        double lower = 0, below = 0;
        foreach (var (bound, cumulative) in byBound)
        {
            if (cumulative >= rank)
            {
                return double.IsPositiveInfinity(bound) ? lower
                    : lower + ((bound - lower) * (cumulative == below ? 0 : (rank - below) / (cumulative - below)));
            }
            lower = bound;
            below = cumulative;
        }
        return lower;
    }

    /// <summary>
    /// The share of histogram <paramref name="name"/>'s observations at or below <paramref name="bound"/>,
    /// over every process and label set: exact, read from that bucket (a target such as "p99 ≤ 250 ms"
    /// holds when this is at least 0.99). Null without observations or when no bucket has that bound.
    /// </summary>
    public static double? ShareAtMost(IEnumerable<IReadOnlyDictionary<string, double>> processes, string name, double bound)
    {
        var byBound = Buckets(processes, name);
        return byBound.TryGetValue(double.PositiveInfinity, out var total) && total > 0 && byBound.TryGetValue(bound, out var within)
            ? within / total
            : null;
    }

    /// <summary>Cumulative counts per bucket bound of histogram <paramref name="name"/>, summed over processes and label sets.</summary>
    private static SortedDictionary<double, double> Buckets(IEnumerable<IReadOnlyDictionary<string, double>> processes, string name)
    {
        var byBound = new SortedDictionary<double, double>();
        var prefix = name + "_bucket{";
        foreach (var metrics in processes)
        {
            foreach (var (key, value) in metrics)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal) && BoundOf(key) is { } bound)
                {
                    byBound[bound] = byBound.GetValueOrDefault(bound) + value;
                }
            }
        }
        return byBound;
    }

    private static double? BoundOf(string series)
    {
        var at = series.IndexOf("le=\"", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var end = series.IndexOf('"', at + 4);
        var text = series[(at + 4)..end];
        return text == "+Inf" ? double.PositiveInfinity
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}

/// <summary>The ingest's recent applies from <c>/debug/ingestz</c>: when each began and when its grain writes began.</summary>
internal static class IngestTimeline
{
    public static async Task<IReadOnlyList<(DateTime Started, DateTime Compiled)>> ReadAsync(Uri? admin, CancellationToken cancellationToken)
    {
        if (admin is null)
        {
            return [];
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(admin, "/debug/ingestz"), cancellationToken).ConfigureAwait(false));
            return [.. doc.RootElement.GetProperty("recentApplies").EnumerateArray()
                .Select(a => (Parse(a.GetProperty("started").GetString()), Parse(a.GetProperty("compiled").GetString())))
                .OrderBy(a => a.Item1)];
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return [];
        }

        static DateTime Parse(string? s) => DateTimeOffset.Parse(s!, CultureInfo.InvariantCulture).UtcDateTime;
    }

    /// <summary>When the first apply that began after <paramref name="written"/> began writing to the grains; null if none.</summary>
    public static DateTime? AppliedAt(IReadOnlyList<(DateTime Started, DateTime Compiled)> applies, DateTime written) =>
        applies.Where(a => a.Started >= written).Select(a => (DateTime?)a.Compiled).FirstOrDefault();
}
