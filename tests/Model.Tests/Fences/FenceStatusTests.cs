using Mesh.Model.Config;
using Mesh.Model.Fences;

namespace Mesh.Model.Tests.Fences;

/// <summary>A ServiceFence's <c>status.domains</c> as Slime writes it: spec hosts by strategy, learned hosts by quiet time.</summary>
public sealed class FenceStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quiet = TimeSpan.FromHours(1);

    private static ServiceFence Fence(string yamlSpec) => FenceFixtures.Web(yamlSpec);

    [Fact]
    public void Domains_SpecHostsByStrategy_LearnedHostsByQuietTime_TheSpecWinsForAHostInBoth()
    {
        var fence = Fence("""
              enable: true
              host:
                stable.shop.svc.cluster.local: {stable: {}}
                plain.shop.svc.cluster.local: {}
                later.shop.svc.cluster.local: {deadline: {expire: {seconds: 1893456000}}}
                passed.shop.svc.cluster.local: {deadline: {expire: {seconds: 1000}}}
            """);
        var learned = new[]
        {
            ("fresh.bank.svc.cluster.local", Now.AddMinutes(-5)),
            ("quiet.bank.svc.cluster.local", Now.AddMinutes(-90)),
            ("stable.shop.svc.cluster.local", Now.AddHours(-5)), // learned too, but the spec keeps it
        };

        var domains = FenceStatus.Domains(fence, learned, Now, Quiet);

        Assert.Equal(
            [
                "fresh.bank.svc.cluster.local=ACTIVE", "later.shop.svc.cluster.local=ACTIVE", "passed.shop.svc.cluster.local=EXPIRE",
                "plain.shop.svc.cluster.local=ACTIVE", "quiet.bank.svc.cluster.local=EXPIREWAIT", "stable.shop.svc.cluster.local=ACTIVE",
            ],
            domains.Select(d => $"{d.Host}={FenceStatus.Name(d.Status)}"));
    }

    [Fact]
    public void ToJson_IsSlimesShape_EachDomainListingItselfWithItsStatus()
    {
        var json = FenceStatus.ToJson([new FenceDomain("a.shop.svc.cluster.local", LearnedStatus.ExpireWait)]).ToJsonString();

        Assert.Equal("""{"domains":{"a.shop.svc.cluster.local":{"hosts":["a.shop.svc.cluster.local"],"status":"EXPIREWAIT"}}}""", json);
        Assert.Equal("""{"domains":{}}""", FenceStatus.ToJson(FenceStatus.Domains(null, [], Now, Quiet)).ToJsonString());
    }
}
