using Mesh.Ingest.Kubernetes;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>Istio's discoverySelectors: label selectors over namespaces, OR-ed; none selects all.</summary>
public sealed class NamespaceSelectorTests
{
    private static Dictionary<string, string> Labels(params (string K, string V)[] labels) => labels.ToDictionary(l => l.K, l => l.V);

    [Fact]
    public void NoSelectors_SelectEveryNamespace() =>
        Assert.True(NamespaceSelector.Parse([]).Matches(Labels()));

    [Theory]
    [InlineData("mesh=on", true)]
    [InlineData("mesh==on", true)]
    [InlineData("mesh!=on", false)]
    [InlineData("mesh", true)]
    [InlineData("!mesh", false)]
    [InlineData("env in (prod, stage)", true)]
    [InlineData("env notin (prod)", false)]
    [InlineData("mesh=on,env=dev", false)]
    [InlineData("team", false)]
    public void OneSelector_MatchesAsKubernetesLabelSelectors(string selector, bool expected) =>
        Assert.Equal(expected, NamespaceSelector.Parse([selector]).Matches(Labels(("mesh", "on"), ("env", "prod"))));

    [Fact]
    public void SeveralSelectors_AreOred()
    {
        var selector = NamespaceSelector.Parse(["team=a", "env in (prod)"]);

        Assert.True(selector.Matches(Labels(("env", "prod"))));
        Assert.True(selector.Matches(Labels(("team", "a"))));
        Assert.False(selector.Matches(Labels(("team", "b"), ("env", "dev"))));
    }

    [Theory]
    [InlineData("env in prod", "needs its values in parentheses")]
    [InlineData("a=b,,c=d", "empty requirement")]
    [InlineData("bad key=x", "is not a label key")]
    public void InvalidSelector_IsRejectedWithTheReason(string selector, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => NamespaceSelector.Parse([selector]));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains(selector, ex.Message, StringComparison.Ordinal);
    }
}
