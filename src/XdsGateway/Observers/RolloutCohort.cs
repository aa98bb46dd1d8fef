using System.Collections.Immutable;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// The staged rollouts whose cohorts hold a stream (ordinal order): its resources come from those
/// rollouts' candidate variants where they have one. Instances are interned by
/// the gateway's rollout table (<see cref="GrainConfigWatcher.CohortOf"/>), so streams in the same cohorts share one and resolutions keyed by it
/// compare by reference.
/// </summary>
public sealed class RolloutCohort
{
    public static readonly RolloutCohort None = new([]);

    internal RolloutCohort(ImmutableArray<string> rollouts)
    {
        Rollouts = rollouts;
        Tags = [.. Model.Rollouts.CohortTags.Subsets(rollouts).Select(Model.Rollouts.CohortTags.Tag)];
        _tagSet = [.. Tags];
    }

    private readonly HashSet<string> _tagSet;

    public ImmutableArray<string> Rollouts { get; }

    /// <summary>The tags of the scope variants this stream may take, the largest set of its rollouts first (see <see cref="Model.Rollouts.CohortTags"/>).</summary>
    public ImmutableArray<string> Tags { get; }

    /// <summary>Whether a variant tagged <paramref name="tag"/> is one this stream may take.</summary>
    public bool Admits(string tag) => _tagSet.Contains(tag);

    public bool IsNone => Rollouts.IsEmpty;

    public bool Contains(string rollout) => Rollouts.Contains(rollout, StringComparer.Ordinal);

    public override string ToString() => IsNone ? "baseline" : "candidate of " + string.Join(", ", Rollouts);
}
