using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;

namespace Mesh.Model.Tests.Rollouts;

public sealed class RolloutProgressTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);

    private static RolloutPolicy Policy(TimeSpan bake, bool manual = false, RolloutGates? gates = null, params double[] percents) => new(
        new ObjectMeta("p", "bookinfo", ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty),
        RolloutSelector.Everything,
        [.. (percents.Length == 0 ? [1.0, 10, 50, 100] : percents).Select(p => new RolloutStage(p, null, null))],
        bake,
        gates ?? RolloutGates.Default,
        RolloutConflict.Supersede,
        manual);

    [Fact]
    public void ZeroBake_WalksEveryStage_ToSuccess()
    {
        var policy = Policy(TimeSpan.Zero);
        var p = RolloutProgress.Start(T0);
        var stages = new List<int>();
        while (!p.Ended)
        {
            stages.Add(p.Stage);
            p = p.Tick(policy, T0);
        }
        Assert.Equal([0, 1, 2, 3], stages);
        Assert.Equal(RolloutPhase.Succeeded, p.Phase);
    }

    [Fact]
    public void Bake_HoldsTheStage_UntilItEnds()
    {
        var policy = Policy(TimeSpan.FromSeconds(30));
        var p = RolloutProgress.Start(T0);
        Assert.Same(p, p.Tick(policy, T0.AddSeconds(29)));
        Assert.Equal(T0.AddSeconds(30), p.BakeEnds(policy));
        var next = p.Tick(policy, T0.AddSeconds(30));
        Assert.Equal(1, next.Stage);
        Assert.Equal(T0.AddSeconds(30), next.StageStarted);
    }

    [Fact]
    public void Pause_StopsTheBakeClock_ResumeContinuesIt()
    {
        var policy = Policy(TimeSpan.FromSeconds(30));
        var p = RolloutProgress.Start(T0).Pause(T0.AddSeconds(10));
        Assert.Equal(RolloutPhase.Paused, p.Phase);
        Assert.Same(p, p.Tick(policy, T0.AddMinutes(10)));
        p = p.Resume(T0.AddSeconds(70)); // paused 60 s: 20 s of bake are left
        Assert.Equal(RolloutPhase.Baking, p.Phase);
        Assert.Equal(0, p.Tick(policy, T0.AddSeconds(89)).Stage);
        Assert.Equal(1, p.Tick(policy, T0.AddSeconds(90)).Stage);
    }

    [Fact]
    public void Manual_WaitsForPromote_AfterEachBake()
    {
        var policy = Policy(TimeSpan.FromSeconds(5), manual: true);
        var p = RolloutProgress.Start(T0).Tick(policy, T0.AddSeconds(5));
        Assert.Equal(RolloutPhase.AwaitingPromotion, p.Phase);
        Assert.Same(p, p.Tick(policy, T0.AddHours(1)));
        p = p.Promote(policy, T0.AddHours(1));
        Assert.Equal((1, RolloutPhase.Baking), (p.Stage, p.Phase));
        // A promote during the bake ends the stage at once.
        Assert.Equal(2, p.Promote(policy, T0.AddHours(1)).Stage);
    }

    [Fact]
    public void NackGate_DefaultAllowsNone()
    {
        var policy = Policy(TimeSpan.FromSeconds(5));
        var p = RolloutProgress.Start(T0);
        Assert.Same(p, p.OnNacks(policy, 0, 200, "-"));
        var failed = p.OnNacks(policy, 1, 200, "proxy sidecar~1 NACKed route 80: bad regex");
        Assert.Equal(RolloutPhase.RolledBack, failed.Phase);
        Assert.Contains("1 cohort proxies NACKed (at most 0 allowed): proxy sidecar~1 NACKed route 80: bad regex", failed.Reason, StringComparison.Ordinal);
        Assert.Same(failed, failed.Tick(policy, T0.AddHours(1)));
        Assert.Same(failed, failed.Promote(policy, T0.AddHours(1)));
    }

    [Theory]
    [InlineData(2, null, 2, 100, false)]
    [InlineData(2, null, 3, 100, true)]
    [InlineData(0, 0.05, 5, 100, false)]
    [InlineData(0, 0.05, 6, 100, true)]
    [InlineData(0, 0.05, 1, 0, true)]
    public void NackGate_CountOrRatio(int maxNacks, double? ratio, int nacking, int cohort, bool fails)
    {
        var policy = Policy(TimeSpan.Zero, gates: new RolloutGates(maxNacks, ratio, null));
        Assert.Equal(fails, RolloutProgress.Start(T0).OnNacks(policy, nacking, cohort, "d").Phase == RolloutPhase.RolledBack);
    }

    [Fact]
    public void HealthGate_RollsBack_AfterThresholdConsecutiveFailures()
    {
        var policy = Policy(TimeSpan.FromMinutes(1), gates: new RolloutGates(0, null, new HealthGate("http://h/c", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), 2)));
        var p = RolloutProgress.Start(T0).OnHealth(policy, HealthVerdict.Failed("HTTP 500"));
        Assert.Equal((RolloutPhase.Baking, 1), (p.Phase, p.HealthFailures));
        p = p.OnHealth(policy, HealthVerdict.Passed("ok"));
        Assert.Equal(0, p.HealthFailures);
        p = p.OnHealth(policy, HealthVerdict.Failed("HTTP 500")).OnHealth(policy, HealthVerdict.Failed("timed out after 1 s"));
        Assert.Equal(RolloutPhase.RolledBack, p.Phase);
        Assert.Contains("health check failed 2 time(s) in a row: timed out after 1 s", p.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Supersede_EndsOnlyARolloutInFlight()
    {
        var policy = Policy(TimeSpan.Zero, percents: [100]);
        var done = RolloutProgress.Start(T0).Tick(policy, T0);
        Assert.Equal(RolloutPhase.Succeeded, done.Phase);
        Assert.Same(done, done.Supersede("newer"));
        Assert.Equal(RolloutPhase.Superseded, RolloutProgress.Start(T0).Supersede("newer").Phase);
    }
}
