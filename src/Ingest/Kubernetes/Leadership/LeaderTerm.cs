namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// One term of this ingest as leader: the writer epoch it claimed on the writer fence (to put on every
/// grain write) and a token cancelled when the term ends. Read both from the same term, never the
/// epoch of one term with the token of another.
/// </summary>
public sealed record LeaderTerm(long Epoch, string Identity, CancellationToken Lost);
