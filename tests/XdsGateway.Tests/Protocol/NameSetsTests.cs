using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Tests.Protocol;

[Trait("Category", "BVT")]
public class NameSetsTests
{
    // Names built at run time, as protobuf parsing builds them: equal content, distinct instances.
    private static string Fresh(string name) => new([.. name]);

    [Fact]
    public void Of_EqualNamesInAnyOrder_IsOneSharedSetOfPooledNames()
    {
        var first = NameSets.Of([Fresh("outbound|80||a.ns.svc.cluster.local"), Fresh("outbound|80||b.ns.svc.cluster.local")]);

        var second = NameSets.Of([Fresh("outbound|80||b.ns.svc.cluster.local"), Fresh("outbound|80||a.ns.svc.cluster.local")]);

        Assert.Same(first, second);
        Assert.Same(NameSets.Name(Fresh("outbound|80||a.ns.svc.cluster.local")), first.Single(n => n.Contains("||a.", StringComparison.Ordinal)));
    }

    [Fact]
    public void Of_DuplicatesCollapse_AndDifferentSetsStayApart()
    {
        var withDuplicates = NameSets.Of(["x1", "x1", "x2"]);

        Assert.Equal(["x1", "x2"], withDuplicates.Order(StringComparer.Ordinal));
        Assert.NotSame(withDuplicates, NameSets.Of(["x1", "x3"]));
        Assert.Same(NameSets.Empty, NameSets.Of([]));
    }

    /// <summary>
    /// A set a peer already sent is found by the count and hash of the names, then checked name by
    /// name: a list naming one name twice must not pass for a set of as many names (a hash collision
    /// would otherwise hand it a set holding a name it never asked for).
    /// </summary>
    [Fact]
    public void HoldsExactly_EveryNameOnce_NoneMissingNoneTwice()
    {
        var abc = NameSets.Of(["a", "b", "c"]);

        Assert.True(NameSets.HoldsExactly(abc, [Fresh("c"), Fresh("a"), Fresh("b")], 3));
        Assert.False(NameSets.HoldsExactly(abc, ["a", "a", "b"], 3));
        Assert.False(NameSets.HoldsExactly(abc, ["a", "b", "d"], 3));
        Assert.False(NameSets.HoldsExactly(abc, ["a", "b"], 2));
        Assert.Same(abc, NameSets.Of([Fresh("b"), Fresh("c"), Fresh("a")]));

        // A set too large to look up is built, and still shared.
        var many = Enumerable.Range(0, NameSets.MaxLookedUp + 1).Select(i => $"outbound|80||s{i}.ns.svc.cluster.local").ToList();
        Assert.Same(NameSets.Of(many), NameSets.Of([.. many.Select(Fresh).Reverse()]));
    }

    [Fact]
    public void Name_PooledNamesNoOneHolds_AreCollectedAndSwept_S05()
    {
        var kept = NameSets.Name(Fresh("outbound|80||kept.ns.svc.cluster.local"));
        InventNames(NameSets.MinSweep * 3);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        InventNames(NameSets.MinSweep * 2, prefix: "later");

        // The invented names were swept once nothing held them; the held name is still the pooled one.
        Assert.True(NameSets.PooledCount < NameSets.MinSweep * 4, $"expected dead names to be swept; the pool holds {NameSets.PooledCount}");
        Assert.Same(kept, NameSets.Name(Fresh("outbound|80||kept.ns.svc.cluster.local")));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void InventNames(int count, string prefix = "invented")
    {
        for (var i = 0; i < count; i++)
        {
            NameSets.Name($"outbound|80||{prefix}-{i}.x.svc.cluster.local");
        }
    }
}
