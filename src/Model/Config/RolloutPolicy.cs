using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>
/// Mesh's <c>RolloutPolicy</c> (<c>mesh.dev/v1alpha1</c>): which config changes of its namespace
/// (every namespace's when it lives in the mesh's system namespace) go out in stages, the stages,
/// the gates that hold or roll a stage back, and what a second change to the same objects does.
/// </summary>
/// <param name="Meta">The policy's name and namespace (the system namespace: mesh-wide).</param>
/// <param name="Selector">The changes it governs.</param>
/// <param name="Stages">Ordered cohorts: a canary label selector (first only) or growing percentages of proxies, ending at 100.</param>
/// <param name="Bake">Bake time of a stage that names none.</param>
/// <param name="Gates">What must hold during a stage's bake.</param>
/// <param name="OnConflict">A new change to objects of a rollout in flight: supersede its candidate, or queue behind it.</param>
/// <param name="Manual">True: each stage waits for an operator's promote after its bake (gates still roll back).</param>
public sealed record RolloutPolicy(
    ObjectMeta Meta,
    RolloutSelector Selector,
    ImmutableArray<RolloutStage> Stages,
    TimeSpan Bake,
    RolloutGates Gates,
    RolloutConflict OnConflict,
    bool Manual) : ConfigObject(Meta)
{
    public const string ApiVersion = "mesh.dev/v1alpha1";

    /// <summary>The kinds whose changes can be rolled out in stages (they reach proxies through the services they route).</summary>
    public static readonly ImmutableArray<ConfigKind> GovernableKinds = [ConfigKind.VirtualService, ConfigKind.DestinationRule];

    public override ConfigKind Kind => ConfigKind.RolloutPolicy;
}

/// <summary>
/// The changes a policy governs: objects of <paramref name="Kinds"/> (empty: every governable kind),
/// and when given, only those named in <paramref name="Names"/> or carrying <paramref name="MatchLabels"/>.
/// </summary>
public sealed record RolloutSelector(ImmutableArray<ConfigKind> Kinds, ImmutableArray<string> Names, ImmutableSortedDictionary<string, string> MatchLabels)
{
    public static readonly RolloutSelector Everything = new([], [], ImmutableSortedDictionary<string, string>.Empty);
}

/// <summary>
/// One stage: the cohort is <paramref name="Percent"/> of the proxies (by a stable hash of the node
/// id), or, when <paramref name="CanaryLabels"/> is set, the proxies whose node labels match it.
/// <paramref name="Bake"/> overrides the policy's bake time.
/// </summary>
public sealed record RolloutStage(double? Percent, ImmutableSortedDictionary<string, string>? CanaryLabels, TimeSpan? Bake)
{
    public bool IsCanary => CanaryLabels is not null;

    public override string ToString() => IsCanary ? $"canary {{{string.Join(",", CanaryLabels!.Select(l => $"{l.Key}={l.Value}"))}}}" : $"{Percent:0.##}%";
}

/// <summary>
/// Gates checked during a stage: at most <paramref name="MaxNacks"/> NACKs of a candidate resource
/// in the cohort (default 0) and, when set, at most <paramref name="MaxNackRatio"/> of the cohort's
/// proxies NACKing; <paramref name="Health"/> polled during the bake.
/// </summary>
public sealed record RolloutGates(int MaxNacks, double? MaxNackRatio, HealthGate? Health)
{
    public static readonly RolloutGates Default = new(0, null, null);
}

/// <summary>An HTTP check polled every <paramref name="Interval"/> during a bake; <paramref name="FailureThreshold"/> consecutive failures fail the gate.</summary>
public sealed record HealthGate(string Url, TimeSpan Interval, TimeSpan Timeout, int FailureThreshold);

/// <summary>What a new change to the objects of a rollout in flight does.</summary>
public enum RolloutConflict
{
    /// <summary>The new content replaces the candidate; the rollout starts again from its first stage.</summary>
    Supersede,

    /// <summary>The new content waits until the rollout in flight ends, then rolls out on its own.</summary>
    Queue,
}
