using Mesh.Model.Config;

namespace Mesh.Model.Rollouts;

/// <summary>Where a rollout is.</summary>
public enum RolloutPhase
{
    /// <summary>The current stage's cohort holds the candidate; its bake time runs and its gates are watched.</summary>
    Baking,

    /// <summary>A manual policy's stage baked with its gates holding: waits for an operator's promote.</summary>
    AwaitingPromotion,

    /// <summary>Stopped by an operator: the cohort stays as it is, the bake clock stands still, gates still roll back.</summary>
    Paused,

    /// <summary>Every stage passed: the candidate is the baseline.</summary>
    Succeeded,

    /// <summary>A gate failed or an operator aborted: the cohort is back on the baseline.</summary>
    RolledBack,

    /// <summary>A newer change to the same objects replaced the candidate before it finished.</summary>
    Superseded,
}

/// <summary>
/// A rollout's progress as a value, and the pure transitions of its stage machine: the time is
/// passed in, so a grain replays them from persisted state and tests drive them directly.
/// <see cref="StageStarted"/> is when the current stage's bake began (moved forward by pauses);
/// <see cref="PausedAt"/> is set while paused; <see cref="Reason"/> says why it ended when it did not succeed.
/// </summary>
public sealed record RolloutProgress(int Stage, RolloutPhase Phase, DateTimeOffset StageStarted, DateTimeOffset? PausedAt = null, int HealthFailures = 0, string? Reason = null)
{
    public bool Ended => Phase is RolloutPhase.Succeeded or RolloutPhase.RolledBack or RolloutPhase.Superseded;

    /// <summary>Whether cohort proxies hold the candidate (while it is in flight).</summary>
    public bool InFlight => Phase is RolloutPhase.Baking or RolloutPhase.AwaitingPromotion or RolloutPhase.Paused;

    public static RolloutProgress Start(DateTimeOffset now) => new(0, RolloutPhase.Baking, now);

    /// <summary>The bake time of <paramref name="stage"/>: its own, else the policy's.</summary>
    public static TimeSpan BakeOf(RolloutPolicy policy, int stage)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Stages[Math.Clamp(stage, 0, policy.Stages.Length - 1)].Bake ?? policy.Bake;
    }

    /// <summary>When the current stage's bake ends (null when no bake is running).</summary>
    public DateTimeOffset? BakeEnds(RolloutPolicy policy) => Phase == RolloutPhase.Baking ? StageStarted + BakeOf(policy, Stage) : null;

    /// <summary>Time passed: a stage whose bake is over (its gates held until now) moves on, to the next stage, to promotion, or to the end.</summary>
    public RolloutProgress Tick(RolloutPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (Phase != RolloutPhase.Baking || now < StageStarted + BakeOf(policy, Stage))
        {
            return this;
        }
        return policy.Manual ? this with { Phase = RolloutPhase.AwaitingPromotion } : Advance(policy, now);
    }

    /// <summary>An operator's promote: the current stage ends now (bake or not) and the next begins.</summary>
    public RolloutProgress Promote(RolloutPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return InFlight ? Advance(policy, now) : this;
    }

    public RolloutProgress Pause(DateTimeOffset now) =>
        Phase is RolloutPhase.Baking or RolloutPhase.AwaitingPromotion ? this with { Phase = RolloutPhase.Paused, PausedAt = now } : this;

    /// <summary>Resumes a paused rollout; the bake clock continues where it stood.</summary>
    public RolloutProgress Resume(DateTimeOffset now) =>
        Phase == RolloutPhase.Paused && PausedAt is { } at
            ? this with { Phase = RolloutPhase.Baking, StageStarted = StageStarted + (now - at), PausedAt = null }
            : this;

    /// <summary>Ends a rollout in flight with the cohort back on the baseline.</summary>
    public RolloutProgress RollBack(string reason) => InFlight ? this with { Phase = RolloutPhase.RolledBack, Reason = reason, PausedAt = null } : this;

    public RolloutProgress Supersede(string reason) => InFlight ? this with { Phase = RolloutPhase.Superseded, Reason = reason, PausedAt = null } : this;

    /// <summary>
    /// The NACK gate: <paramref name="nackingProxies"/> distinct cohort proxies NACKed a candidate
    /// resource out of <paramref name="cohortProxies"/>; more than the policy allows rolls back with
    /// <paramref name="detail"/> (which proxy, which resource, the error).
    /// </summary>
    public RolloutProgress OnNacks(RolloutPolicy policy, int nackingProxies, int cohortProxies, string detail)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return InFlight && Gates.NackFailure(policy.Gates, nackingProxies, cohortProxies) is { } failure
            ? RollBack($"{failure}: {detail}")
            : this;
    }

    /// <summary>One health check's result: <see cref="HealthGate.FailureThreshold"/> consecutive failures roll back.</summary>
    public RolloutProgress OnHealth(RolloutPolicy policy, HealthVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(verdict);
        if (!InFlight || policy.Gates.Health is not { } health)
        {
            return this;
        }
        if (verdict.Pass)
        {
            return HealthFailures == 0 ? this : this with { HealthFailures = 0 };
        }
        var failures = HealthFailures + 1;
        return failures >= health.FailureThreshold
            ? (this with { HealthFailures = failures }).RollBack($"health check failed {failures} time(s) in a row: {verdict.Reason}")
            : this with { HealthFailures = failures };
    }

    private RolloutProgress Advance(RolloutPolicy policy, DateTimeOffset now) =>
        Stage + 1 >= policy.Stages.Length
            ? this with { Phase = RolloutPhase.Succeeded, PausedAt = null }
            : new RolloutProgress(Stage + 1, RolloutPhase.Baking, now);
}

/// <summary>Gate arithmetic.</summary>
public static class Gates
{
    /// <summary>Why the NACK gate fails (null: it holds): more NACKing proxies than <see cref="RolloutGates.MaxNacks"/>, or a larger share of the cohort than <see cref="RolloutGates.MaxNackRatio"/>.</summary>
    public static string? NackFailure(RolloutGates gates, int nackingProxies, int cohortProxies)
    {
        ArgumentNullException.ThrowIfNull(gates);
        if (nackingProxies <= 0)
        {
            return null;
        }
        if (gates.MaxNackRatio is { } ratio)
        {
            var share = cohortProxies <= 0 ? 1 : (double)nackingProxies / cohortProxies;
            return share > ratio ? $"{nackingProxies} of {cohortProxies} cohort proxies NACKed (more than {ratio:P1})" : null;
        }
        return nackingProxies > gates.MaxNacks ? $"{nackingProxies} cohort proxies NACKed (at most {gates.MaxNacks} allowed)" : null;
    }
}
