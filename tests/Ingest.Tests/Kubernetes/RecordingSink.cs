using System.Collections.Concurrent;
using Mesh.Ingest.Kubernetes;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>An informer's sink that records each change as "Type Kind namespace/name", in order.</summary>
internal sealed class RecordingSink : IKubeChangeSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    public List<string> Lines => [.. _lines];

    public void OnChanges(KubeKind kind, IReadOnlyList<KubeChange> changes)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var c in changes)
        {
            _lines.Enqueue($"{c.Type} {kind.Kind} {c.Namespace}/{c.Name}");
        }
    }
}
