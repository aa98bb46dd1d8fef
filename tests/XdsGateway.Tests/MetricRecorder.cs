using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.XdsGateway.Tests;

/// <summary>Sums the long measurements of one meter instance, by instrument and optional "type" tag, and keeps its double measurements (histograms).</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _values = new(StringComparer.Ordinal);

    public MetricRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            foreach (var tag in tags)
            {
                _totals.AddOrUpdate($"{instrument.Name}|{tag.Value}", value, (_, v) => v + value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            _values.GetOrAdd(instrument.Name, _ => new ConcurrentQueue<double>()).Enqueue(value));
        _listener.Start();
    }

    public long Total(string instrument, string? tag = null) =>
        _totals.GetValueOrDefault(tag is null ? instrument : $"{instrument}|{tag}");

    /// <summary>Every double recorded by <paramref name="instrument"/>, in order.</summary>
    public IReadOnlyList<double> Values(string instrument) =>
        _values.TryGetValue(instrument, out var values) ? [.. values] : [];

    public void Dispose() => _listener.Dispose();
}
