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

    private sealed class Series(string kind, string help)
    {
        public string Kind { get; } = kind;
        public string Help { get; } = help;
        public double Value;
        public double Sum;
        public long Count;
    }

    public PrometheusMetrics()
    {
        ProcessMetrics.EnsureCreated();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Mesh.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
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

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new List<string>(tags.Length);
        foreach (var t in tags)
        {
            labels.Add($"{t.Key}=\"{Convert.ToString(t.Value, CultureInfo.InvariantCulture)?.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
        labels.Sort(StringComparer.Ordinal);
        var kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
            Histogram<long> or Histogram<int> or Histogram<double> => "histogram",
            _ => "gauge",
        };
        var s = _series.GetOrAdd((instrument.Name, string.Join(',', labels)), _ => new Series(kind, instrument.Description ?? instrument.Name));
        lock (s)
        {
            switch (kind)
            {
                case "counter" when instrument is not (ObservableCounter<long> or ObservableCounter<double>):
                    s.Value += value;
                    break;
                case "histogram":
                    s.Sum += value;
                    s.Count++;
                    break;
                case "gauge" when instrument is UpDownCounter<long> or UpDownCounter<int>:
                    s.Value += value;
                    break;
                default:
                    s.Value = value;
                    break;
            }
        }
    }
}
