using System.Diagnostics.Metrics;
using Mesh.Ingest.Status;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>Counts <c>mesh_k8s_watch_failures</c> of one kind and reason, from when it is made.</summary>
internal sealed class FailureCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public FailureCounter(string kind, string reason)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, IngestStatus.Meter) && instrument.Name == "mesh_k8s_watch_failures")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var t = tags.ToArray();
            if (t.Contains(new("kind", kind)) && t.Contains(new("reason", reason)))
            {
                Interlocked.Add(ref _total, value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
