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
}
