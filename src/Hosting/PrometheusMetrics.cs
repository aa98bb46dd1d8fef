using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Mesh.Hosting;

/// <summary>
/// Exposes the <c>Mesh.*</c> meters in Prometheus text format: counters as <c>NAME_total</c>,
/// up-down counters and gauges as <c>NAME</c>, histograms as Prometheus histograms
/// (<c>NAME_bucket{le=…}</c>, cumulative, then <c>NAME_sum</c> and <c>NAME_count</c>) with the
/// instrument's advised bucket boundaries, or <see cref="DefaultSecondsBuckets"/> for one in
/// seconds and <see cref="DefaultBuckets"/> otherwise: an operator reads a p99 from them.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();

    /// <summary>Boundaries of a histogram in seconds without advice (the Prometheus clients' defaults).</summary>
    public static readonly IReadOnlyList<double> DefaultSecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Boundaries of another histogram without advice (OpenTelemetry's defaults).</summary>
    public static readonly IReadOnlyList<double> DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private sealed class Series(string kind, string help, double[]? bounds)
    {
        public string Kind { get; } = kind;
        public string Help { get; } = help;
        public double Value;
        public double Sum;
        public long Count;

        /// <summary>Upper bounds (inclusive) of a histogram's buckets, ascending; +Inf is <see cref="Count"/>.</summary>
        public double[]? Bounds { get; } = bounds;

        /// <summary>Observations per bucket, not cumulative; the last slot is above every bound.</summary>
        public long[]? Buckets { get; } = bounds is null ? null : new long[bounds.Length + 1];
    }

    private enum Mode
    {
        Add,
        Observe,
        Set,
    }

    /// <summary>
    /// One instrument's series by tag set: a measurement finds its series without formatting its
    /// labels (a grain call or a sent response records several; formatting, sorting and a lock per
    /// record was a tenth of a busy gateway's CPU, most of it spinning on the lock).
    /// </summary>
    private sealed class InstrumentSeries(Instrument instrument)
    {
        public Instrument Instrument { get; } = instrument;

        public string Kind { get; } = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
            Histogram<long> or Histogram<int> or Histogram<double> => "histogram",
            _ => "gauge",
        };

        public Mode Mode { get; } = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or UpDownCounter<long> or UpDownCounter<int> => Mode.Add,
            Histogram<long> or Histogram<int> or Histogram<double> => Mode.Observe,
            _ => Mode.Set,
        };

        /// <summary>A histogram's bucket bounds: its advice, else a default by unit.</summary>
        public double[]? Bounds { get; } = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b] : DefaultsFor(h),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(v => (double)v)] : DefaultsFor(h),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(v => (double)v)] : DefaultsFor(h),
            _ => null,
        };

        public ConcurrentDictionary<TagKey, Series> ByTags { get; } = new();

        private static double[] DefaultsFor(Instrument i) => [.. i.Unit == "s" ? DefaultSecondsBuckets : DefaultBuckets];
    }

    /// <summary>A measurement's tags as given (up to three inline; more as their label text), compared by value.</summary>
    private readonly struct TagKey : IEquatable<TagKey>
    {
        private readonly int _count;
        private readonly KeyValuePair<string, object?> _a, _b, _c;
        private readonly string? _labels;

        public TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            if (tags.Length > 3)
            {
                _labels = Labels(tags);
                return;
            }
            if (tags.Length > 0)
            {
                _a = tags[0];
            }
            if (tags.Length > 1)
            {
                _b = tags[1];
            }
            if (tags.Length > 2)
            {
                _c = tags[2];
            }
        }

        public bool Equals(TagKey other) =>
            _count == other._count && string.Equals(_labels, other._labels, StringComparison.Ordinal)
            && Same(_a, other._a) && Same(_b, other._b) && Same(_c, other._c);

        public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_count, _labels, Hash(_a), Hash(_b), Hash(_c));

        private static bool Same(KeyValuePair<string, object?> x, KeyValuePair<string, object?> y) =>
            string.Equals(x.Key, y.Key, StringComparison.Ordinal) && Equals(x.Value, y.Value);

        private static int Hash(KeyValuePair<string, object?> t) => HashCode.Combine(t.Key, t.Value);
    }

    public PrometheusMetrics()
    {
        ProcessMetrics.EnsureCreated();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Mesh.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument, _instruments.GetOrAdd(instrument, i => new InstrumentSeries(i)));
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var group in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal).ThenBy(s => s.Key.Labels, StringComparer.Ordinal).GroupBy(s => s.Key.Name))
        {
            var first = group.First().Value;
            var name = first.Kind == "counter" ? group.Key + "_total" : group.Key;
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {first.Help}\n");
            sb.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {first.Kind}\n");
            foreach (var (key, s) in group)
            {
                var labels = key.Labels.Length == 0 ? "" : "{" + key.Labels + "}";
                if (s.Kind == "histogram")
                {
                    // Read the count first: the buckets recorded after it only make the +Inf line the larger.
                    var count = Interlocked.Read(ref s.Count);
                    var prefix = key.Labels.Length == 0 ? "{" : "{" + key.Labels + ",";
                    long cumulative = 0;
                    for (var b = 0; b < s.Bounds!.Length; b++)
                    {
                        cumulative += Interlocked.Read(ref s.Buckets![b]);
                        sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_bucket{prefix}le=\"{s.Bounds[b].ToString(CultureInfo.InvariantCulture)}\"}} {Math.Min(cumulative, count)}\n");
                    }
                    sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_bucket{prefix}le=\"+Inf\"}} {count}\n");
                    sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_sum{labels} {s.Sum}\n");
                    sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_count{labels} {count}\n");
                }
                else
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{name}{labels} {s.Value}\n");
                }
            }
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var of = state as InstrumentSeries ?? _instruments.GetOrAdd(instrument, i => new InstrumentSeries(i));
        var key = new TagKey(tags);
        if (!of.ByTags.TryGetValue(key, out var s))
        {
            // Tags in another order are the same series: the label text is the series' identity.
            s = _series.GetOrAdd((instrument.Name, Labels(tags)), _ => new Series(of.Kind, instrument.Description ?? instrument.Name, of.Bounds));
            s = of.ByTags.GetOrAdd(key, s);
        }
        switch (of.Mode)
        {
            case Mode.Add:
                Add(ref s.Value, value);
                break;
            case Mode.Observe:
                if (s.Bounds is { } bounds)
                {
                    var b = 0;
                    while (b < bounds.Length && value > bounds[b])
                    {
                        b++;
                    }
                    Interlocked.Increment(ref s.Buckets![b]);
                }
                Add(ref s.Sum, value);
                Interlocked.Increment(ref s.Count);
                break;
            default:
                Interlocked.Exchange(ref s.Value, value);
                break;
        }
    }

    private static void Add(ref double target, double value)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + value, current);
            if (seen.Equals(current))
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>Prometheus label text of a tag set: <c>k="v"</c> sorted by text, quotes escaped.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var labels = new List<string>(tags.Length);
        foreach (var t in tags)
        {
            labels.Add($"{t.Key}=\"{Convert.ToString(t.Value, CultureInfo.InvariantCulture)?.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
        labels.Sort(StringComparer.Ordinal);
        return string.Join(',', labels);
    }
}
