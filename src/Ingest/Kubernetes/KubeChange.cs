namespace Mesh.Ingest.Kubernetes;

/// <summary>What happened to one object, as the mesh sees it.</summary>
public enum KubeChangeType
{
    Added,
    Updated,
    Deleted,
}

/// <summary>
/// One effective change of one object: <see cref="Previous"/> is what was cached before (null when
/// added), <see cref="Current"/> what is cached now (null when deleted). Changes the mesh does not
/// read never become a <see cref="KubeChange"/>.
/// </summary>
public sealed record KubeChange(KubeChangeType Type, KubeItem? Previous, KubeItem? Current)
{
    public string Namespace => (Current ?? Previous)!.Namespace;

    public string Name => (Current ?? Previous)!.Name;
}

/// <summary>Receives an informer's changes, in order, on the informer's task.</summary>
public interface IKubeChangeSink
{
    void OnChanges(KubeKind kind, IReadOnlyList<KubeChange> changes);
}
