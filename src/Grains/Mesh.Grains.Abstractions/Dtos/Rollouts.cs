using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What gateways need of a staged rollout to pick each stream's generation: its id, stages and
/// current stage, and whether its candidate is in flight (false: every stream is on the baseline).
/// <see cref="Sequence"/> grows with each change, so a late notification never undoes a newer one.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.RolloutView")]
public sealed record RolloutView(
    [property: Id(0)] string Id,
    [property: Id(1)] ImmutableArray<RolloutStage> Stages,
    [property: Id(2)] int Stage,
    [property: Id(3)] bool InFlight,
    [property: Id(4)] long Sequence);

/// <summary>One object a governed change alters: kind, namespace, name and its content version before and after (null: absent).</summary>
[GenerateSerializer, Immutable, Alias("mesh.ChangedObject")]
public sealed record ChangedObject(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Name,
    [property: Id(3)] string? OldVersion,
    [property: Id(4)] string? NewVersion)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name} {OldVersion ?? "(none)"} → {NewVersion ?? "(deleted)"}";
}

/// <summary>
/// A service's governed routing change, proposed by its <see cref="IServiceGrain"/> to the
/// policy's <see cref="IRolloutGrain"/>: the host, the candidate routing and the objects it alters.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.RolloutProposal")]
public sealed record RolloutProposal(
    [property: Id(0)] string Host,
    [property: Id(1)] RolloutPolicy Policy,
    [property: Id(2)] ServiceRouting Candidate,
    [property: Id(3)] ImmutableArray<ChangedObject> Changes);

/// <summary>A rollout's state for operators (<c>/debug/rolloutz</c>, <c>GET /api/v1/rollouts</c>).</summary>
[GenerateSerializer, Immutable, Alias("mesh.RolloutStatus")]
public sealed record RolloutStatus(
    [property: Id(0)] string Id,
    [property: Id(1)] string Policy,
    [property: Id(2)] string Phase,
    [property: Id(3)] int Stage,
    [property: Id(4)] string StageDescription,
    [property: Id(5)] ImmutableArray<string> Hosts,
    [property: Id(6)] ImmutableArray<ChangedObject> Changes,
    [property: Id(7)] DateTimeOffset Started,
    [property: Id(8)] DateTimeOffset? BakeEnds,
    [property: Id(9)] DateTimeOffset? Ended,
    [property: Id(10)] string? Reason,
    [property: Id(11)] ImmutableArray<string> NackingProxies,
    [property: Id(12)] int HealthFailures,
    [property: Id(13)] int Queued);
