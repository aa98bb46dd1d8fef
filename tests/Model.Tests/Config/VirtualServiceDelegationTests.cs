using Mesh.Model.Config;

namespace Mesh.Model.Tests.Config;

/// <summary>Istio's VirtualService delegation: a root route naming a host-less VirtualService is replaced by its routes, merged under the root's match and policies.</summary>
[Trait("Category", "BVT")]
public sealed class VirtualServiceDelegationTests
{
    private static VirtualService Parse(string yaml) => YamlFixtures.ParseSingle<VirtualService>(yaml);

    private static readonly VirtualService Root = Parse("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: front}
        spec:
          hosts: [bookinfo.example.com]
          http:
          - name: reviews
            match: [{uri: {prefix: /reviews}}]
            timeout: 5s
            delegate: {name: reviews, namespace: team}
          - name: rest
            route: [{destination: {host: productpage}}]
        """);

    private static readonly VirtualService Delegate = Parse("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: team}
        spec:
          http:
          - name: v2
            match: [{uri: {prefix: /reviews/v2}, headers: {end-user: {exact: jason}}}]
            route: [{destination: {host: reviews, subset: v2}}]
          - name: outside
            match: [{uri: {prefix: /ratings}}]
            route: [{destination: {host: ratings}}]
          - name: default
            timeout: 1s
            route: [{destination: {host: reviews, subset: v1}}]
        """);

    private static VirtualService? Find(string ns, string name) => ns == "team" && name == "reviews" ? Delegate : null;

    [Fact]
    public void DelegatingRoute_IsReplacedByTheDelegatesRoutes_MergedUnderItsMatchAndPolicies()
    {
        var problems = new List<string>();
        var merged = VirtualServiceDelegation.Merge(Root, Find, "cluster.local", problems);

        Assert.Equal(["reviews-v2", "reviews-default", "rest"], merged.Http.Select(h => h.Name));
        var v2 = merged.Http[0];
        Assert.Equal(("/reviews/v2", "jason"), (v2.Match.Single().Uri!.Value, v2.Match.Single().Headers["end-user"].Value));
        Assert.Equal(TimeSpan.FromSeconds(5), v2.Timeout); // the root's policy where the delegate sets none
        Assert.Equal("reviews.team.svc.cluster.local", v2.Route.Single().Destination.Host); // the delegate's namespace
        var fallback = merged.Http[1];
        Assert.Equal("/reviews", fallback.Match.Single().Uri!.Value); // the root's match
        Assert.Equal(TimeSpan.FromSeconds(1), fallback.Timeout); // the delegate's own wins
        Assert.All(merged.Http, h => Assert.Null(h.Delegate));
        // /ratings does not narrow /reviews: dropped, as Istio, and said.
        Assert.Contains(problems, p => p.Contains("route outside of delegate team/reviews conflicts", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingDelegate_ItsRouteIsSkippedAndReported_OtherRoutesStay()
    {
        var problems = new List<string>();
        var merged = VirtualServiceDelegation.Merge(Root, (_, _) => null, "cluster.local", problems);

        Assert.Equal(["rest"], merged.Http.Select(h => h.Name));
        Assert.Equal(["VirtualService front/bookinfo: delegate team/reviews not found; its routes are skipped"], problems);
        Assert.Equal([("team", "reviews")], VirtualServiceDelegation.Delegates(Root));
    }

    [Fact]
    public void WithoutDelegates_TheSameInstance()
    {
        var plain = Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: plain, namespace: front}
            spec:
              hosts: [plain]
              http: [{route: [{destination: {host: plain}}]}]
            """);
        Assert.Same(plain, VirtualServiceDelegation.Merge(plain, Find, "cluster.local"));
    }
}
