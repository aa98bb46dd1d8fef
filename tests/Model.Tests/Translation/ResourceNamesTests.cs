using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class ResourceNamesTests
{
    [Theory]
    [InlineData("outbound|9080||reviews.default.svc.cluster.local", 9080, "", "reviews.default.svc.cluster.local")]
    [InlineData("outbound|9080|v2|reviews.default.svc.cluster.local", 9080, "v2", "reviews.default.svc.cluster.local")]
    [InlineData("outbound|443||api.example.com", 443, "", "api.example.com")]
    public void TryParseOutbound_IstioClusterNames_ReadPortSubsetHost(string name, int port, string subset, string host)
    {
        Assert.True(ResourceNames.TryParseOutbound(name, out var p, out var s, out var h));
        Assert.Equal((port, subset, host), (p, s, h));
        Assert.Equal(name, ResourceNames.OutboundCluster(p, s.Length == 0 ? null : s, h));
    }

    [Theory]
    [InlineData("inbound|9080||")]
    [InlineData("outbound|9080||")]
    [InlineData("outbound|x||reviews.default.svc.cluster.local")]
    [InlineData("outbound|9080|reviews.default.svc.cluster.local")]
    [InlineData("outbound|9080|v1|reviews|extra")]
    [InlineData("outbound||v1|reviews")]
    [InlineData("outbound")]
    [InlineData("PassthroughCluster")]
    [InlineData("reviews.default.svc.cluster.local:9080")]
    public void TryParseOutbound_OtherNames_False(string name)
    {
        Assert.False(ResourceNames.TryParseOutbound(name, out _, out _, out var host));
        Assert.Equal("", host);
    }
}
