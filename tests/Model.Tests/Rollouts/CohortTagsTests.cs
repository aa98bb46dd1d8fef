using Mesh.Model.Rollouts;

namespace Mesh.Model.Tests.Rollouts;

public sealed class CohortTagsTests
{
    [Fact]
    public void Subsets_LargestFirst_InOrdinalOrder()
    {
        var sets = CohortTags.Subsets(["shop/b#1", "bank/a#3"]).Select(CohortTags.Tag).ToList();
        Assert.Equal(["bank/a#3+shop/b#1", "bank/a#3", "shop/b#1"], sets);
        Assert.Equal(7, CohortTags.Subsets(["a", "b", "c"]).Count);
        Assert.Equal("a+b+c", CohortTags.Tag(CohortTags.Subsets(["c", "a", "b"])[0]));
    }

    [Fact]
    public void PastTheLimit_OnlyEachRolloutAlone()
    {
        var five = Enumerable.Range(0, CohortTags.MaxCombined + 1).Select(i => $"ns/p#{i}").ToList();
        var sets = CohortTags.Subsets(five);
        Assert.Equal(five.Count, sets.Count);
        Assert.All(sets, s => Assert.Single(s));
        Assert.Empty(CohortTags.Subsets([]));
    }
}
