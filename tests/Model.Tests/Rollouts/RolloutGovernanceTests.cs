using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;

namespace Mesh.Model.Tests.Rollouts;

public sealed class RolloutGovernanceTests
{
    private static ImmutableSortedDictionary<string, string> Labels(params (string K, string V)[] labels) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, labels.Select(l => KeyValuePair.Create(l.K, l.V)));

    private static ObjectMeta Meta(string ns, string name, ImmutableSortedDictionary<string, string>? labels = null) =>
        new(name, ns, labels ?? Labels(), ImmutableSortedDictionary<string, string>.Empty);

    private static RolloutPolicy Policy(string ns, string name, RolloutSelector? selector = null) =>
        new(Meta(ns, name), selector ?? RolloutSelector.Everything, [new RolloutStage(100, null, null)], TimeSpan.Zero, RolloutGates.Default, RolloutConflict.Supersede, false);

    private static VirtualService Vs(string ns, string name, ImmutableSortedDictionary<string, string>? labels = null) =>
        new(Meta(ns, name, labels), [], [], [], [], []);

    [Fact]
    public void OwnNamespace_BeforeMeshWide_ThenByName()
    {
        var meshWide = Policy("mesh-system", "a-all");
        var own = Policy("bookinfo", "z-own");
        var ownFirst = Policy("bookinfo", "b-own");
        var other = Policy("shop", "a-shop");
        Assert.Same(ownFirst, RolloutGovernance.PolicyFor(Vs("bookinfo", "reviews"), [meshWide, own, other, ownFirst]));
        Assert.Same(meshWide, RolloutGovernance.PolicyFor(Vs("payments", "pay"), [meshWide, own, other]));
        Assert.Null(RolloutGovernance.PolicyFor(Vs("payments", "pay"), [own, other]));
    }

    [Fact]
    public void Selector_KindsNamesLabels()
    {
        var vsOnly = Policy("bookinfo", "p", new RolloutSelector([ConfigKind.VirtualService], ["reviews"], Labels(("tier", "critical"))));
        Assert.True(RolloutGovernance.Selects(vsOnly, ConfigKind.VirtualService, "reviews", Labels(("tier", "critical"), ("x", "y"))));
        Assert.False(RolloutGovernance.Selects(vsOnly, ConfigKind.VirtualService, "reviews", Labels()));
        Assert.False(RolloutGovernance.Selects(vsOnly, ConfigKind.VirtualService, "ratings", Labels(("tier", "critical"))));
        Assert.False(RolloutGovernance.Selects(vsOnly, ConfigKind.DestinationRule, "reviews", Labels(("tier", "critical"))));
        // Kinds that cannot be staged are never governed, even by a policy that selects everything.
        Assert.False(RolloutGovernance.Selects(Policy("bookinfo", "all"), ConfigKind.Sidecar, "default", Labels()));
        Assert.True(RolloutGovernance.Selects(Policy("bookinfo", "all"), ConfigKind.DestinationRule, "reviews", Labels()));
    }

    [Fact]
    public void Idle_ListsPoliciesThatSelectNothing()
    {
        var reviewsOnly = Policy("bookinfo", "reviews-only", new RolloutSelector([], ["reviews"], Labels()));
        var ghosts = Policy("bookinfo", "ghosts", new RolloutSelector([], ["nope"], Labels()));
        var meshWide = Policy("mesh-system", "all");
        var idle = RolloutGovernance.Idle([reviewsOnly, ghosts, meshWide], [Vs("bookinfo", "reviews")]);
        Assert.Same(ghosts, Assert.Single(idle));
    }
}
