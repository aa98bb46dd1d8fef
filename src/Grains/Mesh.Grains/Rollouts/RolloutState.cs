using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;

namespace Mesh.Grains.Rollouts;

/// <summary>Persisted state of a <see cref="RolloutGrain"/>: the rollout in flight, the changes queued, what ended.</summary>
[GenerateSerializer, Alias("mesh.RolloutState")]
public sealed class RolloutState
{
    /// <summary>Rollouts started so far (the number in the next id).</summary>
    [Id(0)] public long Started { get; set; }

    [Id(1)] public RolloutRecord? Current { get; set; }

    /// <summary>Changes waiting for the rollout in flight to end, in arrival order (a newer proposal for a queued host replaces its own).</summary>
    [Id(2)] public ImmutableArray<RolloutProposal> Queue { get; set; } = [];

    /// <summary>The last ended rollouts, newest first (at most <see cref="RolloutGrain.HistoryLength"/>).</summary>
    [Id(3)] public ImmutableArray<RolloutRecord> History { get; set; } = [];

    /// <summary>Changes (by <see cref="RolloutRecord.ChangeKey"/>) that were rolled back: the same content is not tried again until the object changes.</summary>
    [Id(4)] public ImmutableHashSet<string> RolledBack { get; set; } = [];

    /// <summary>Sequence of the last view published (grows across activations).</summary>
    [Id(5)] public long Sequence { get; set; }
}

/// <summary>One rollout: its policy as it was when the rollout started, candidates per host, the changed objects, progress and gate counts.</summary>
[GenerateSerializer, Alias("mesh.RolloutRecord")]
public sealed record RolloutRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] RolloutPolicy Policy,
    [property: Id(2)] ImmutableSortedDictionary<string, ServiceRouting> Candidates,
    [property: Id(3)] ImmutableArray<ChangedObject> Changes,
    [property: Id(4)] string ChangeKey,
    [property: Id(5)] RolloutProgress Progress,
    [property: Id(6)] DateTimeOffset Started,
    [property: Id(7)] ImmutableSortedSet<string> NackingProxies,
    [property: Id(8)] ImmutableSortedDictionary<string, int> CohortByGateway,
    [property: Id(9)] DateTimeOffset? Ended = null);
