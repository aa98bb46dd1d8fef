namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// The leader election as <c>/debug/ingestz</c> shows it: the Lease and its last seen holder and
/// <c>leaseTransitions</c>, whether this replica leads, the epoch it last claimed (0: never), when it
/// last acquired or renewed the Lease, and the last error (cleared when it leads).
/// </summary>
public sealed record LeaderStatus(
    string Lease,
    string Identity,
    string? Holder,
    bool IsLeader,
    long Epoch,
    int? Transitions,
    DateTimeOffset? LastRenew,
    string? LastError);
