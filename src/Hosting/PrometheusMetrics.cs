using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Mesh.Hosting;

/// <summary>
/// Exposes the <c>Mesh.*</c> meters in Prometheus text format: counters as <c>NAME_total</c>,
/// up-down counters and gauges as <c>NAME</c>, histograms as <c>NAME_count</c>/<c>NAME_sum</c>.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();

    private sealed class Series(string kind, string help)
    {
        public string Kind { get; } = kind;
        public string Help { get; } = help;
        public double Value;
        public double Sum;
        public long Count;
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

        public ConcurrentDictionary<TagKey, Series> ByTags { get; } = new();
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
            sb.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {(first.Kind == "histogram" ? "summary" : first.Kind)}\n");
            foreach (var (key, s) in group)
            {
                var labels = key.Labels.Length == 0 ? "" : "{" + key.Labels + "}";
                if (s.Kind == "histogram")
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_count{labels} {Interlocked.Read(ref s.Count)}\n");
                    sb.Append(CultureInfo.InvariantCulture, $"{key.Name}_sum{labels} {s.Sum}\n");
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
            s = _series.GetOrAdd((instrument.Name, Labels(tags)), _ => new Series(of.Kind, instrument.Description ?? instrument.Name));
            s = of.ByTags.GetOrAdd(key, s);
        }
        switch (of.Mode)
        {
            case Mode.Add:
                Add(ref s.Value, value);
                break;
            case Mode.Observe:
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
