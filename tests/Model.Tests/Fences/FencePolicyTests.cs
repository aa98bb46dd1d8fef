using System.Collections.Immutable;
using Envoy.Config.Route.V3;
using Mesh.Model.Config;
using Mesh.Model.Fences;
using Mesh.Model.Services;
using Mesh.Model.Tests.Config;
using Mesh.Model.Tests.Translation;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.Model.Tests.Fences;

/// <summary>What a ServiceFence admits and fences (Slime's semantics), and a fenced scope's fallback route.</summary>
public sealed class FencePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlySet<string> NoneLearned = new HashSet<string>();

    private static MeshService Svc(string name, string ns, ImmutableSortedDictionary<string, string>? labels = null, ImmutableSortedDictionary<string, string>? selector = null) => new(
        $"{name}.{ns}.svc.cluster.local", ns, [new MeshServicePort("http", 80, Protocol.Http, 8080)], ["10.96.0.1"],
        ServiceOrigin.Kubernetes, Resolution.Static, [], selector ?? Bookinfo.Map(("app", name)), labels);

    private static ServiceFence Fence(string yamlSpec) => FenceFixtures.Web(yamlSpec);

    [Fact]
    public void Admits_StaticFqdn_NamespaceWildcard_AndNamespaceSelector_ButNothingElse()
    {
        var fence = Fence("""
              enable: true
              host:
                cart.shop.svc.cluster.local: {stable: {}}
                shared/*: {}
              namespaceSelector: [bank]
            """);

        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("cart", "shop"), MeshSettings.DefaultLazyEgress, Now));
        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("auth", "shared"), MeshSettings.DefaultLazyEgress, Now));
        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("ledger", "bank"), MeshSettings.DefaultLazyEgress, Now));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("pay", "shop"), MeshSettings.DefaultLazyEgress, Now));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("web", "shop"), MeshSettings.DefaultLazyEgress, Now));
    }

    [Fact]
    public void Admits_TheLazyEgressAndLearnedHosts_WithoutAnyStaticHost()
    {
        var fence = Fence("  enable: true");
        var egress = new MeshService(MeshSettings.DefaultLazyEgress, "mesh-system", [], [], ServiceOrigin.Kubernetes, Resolution.Static, [], Bookinfo.Map(("app", "egress")));

        Assert.True(FencePolicy.Admits(fence, NoneLearned, egress, MeshSettings.DefaultLazyEgress, Now));
        Assert.True(FencePolicy.Admits(fence, new HashSet<string> { "pay.shop.svc.cluster.local" }, Svc("pay", "shop"), MeshSettings.DefaultLazyEgress, Now));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("pay", "shop"), MeshSettings.DefaultLazyEgress, Now));
    }

    [Fact]
    public void Admits_ByLabelSelector_OrBetweenSelectors_AndWithinOne()
    {
        var fence = Fence("""
              labelSelector:
              - selector: {project: back}
              - selector: {project: front, group: web}
            """);

        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("a", "x", Bookinfo.Map(("project", "back"))), MeshSettings.DefaultLazyEgress, Now));
        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("b", "x", Bookinfo.Map(("project", "front"), ("group", "web"), ("tier", "1"))), MeshSettings.DefaultLazyEgress, Now));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("c", "x", Bookinfo.Map(("project", "front"))), MeshSettings.DefaultLazyEgress, Now));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("d", "x"), MeshSettings.DefaultLazyEgress, Now));
    }

    [Fact]
    public void Admits_ADeadlineHost_UntilItsExpireTime()
    {
        var fence = Fence("""
              host:
                cart.shop.svc.cluster.local: {deadline: {expire: "2026-12-03T12:00:00Z"}}
            """);

        Assert.True(FencePolicy.Admits(fence, NoneLearned, Svc("cart", "shop"), MeshSettings.DefaultLazyEgress, Now.AddSeconds(-1)));
        Assert.False(FencePolicy.Admits(fence, NoneLearned, Svc("cart", "shop"), MeshSettings.DefaultLazyEgress, Now));
    }

    [Fact]
    public void Follow_AddsVirtualServiceDestinationsTransitively_AsFarAsTheScopeCanSee()
    {
        var routes = new Dictionary<string, string[]> { ["a"] = ["b"], ["b"] = ["c", "hidden"], ["c"] = ["a"] };

        var hosts = FencePolicy.Follow(["a"], h => routes.GetValueOrDefault(h) ?? [], h => h != "hidden");

        Assert.Equal(["a", "b", "c"], hosts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Select_DefaultsToTheServicesSelector_ExplicitLabelsWin_AndFromServiceFalseUsesApp()
    {
        var web = Svc("web", "shop", selector: Bookinfo.Map(("app", "web"), ("tier", "front")));
        ImmutableArray<MeshService> services = [web];
        var byService = Fence("  enable: true");
        var byLabels = byService with { WorkloadSelector = new FenceWorkloadSelector(true, Bookinfo.Map(("zone", "hz"))) };
        var byApp = byService with { WorkloadSelector = new FenceWorkloadSelector(false, ImmutableSortedDictionary<string, string>.Empty) };

        Assert.Same(byService, FencePolicy.Select([byService], services, Bookinfo.Map(("app", "web"), ("tier", "front"), ("pod", "x"))));
        Assert.Null(FencePolicy.Select([byService], services, Bookinfo.Map(("app", "web"))));
        Assert.Same(byLabels, FencePolicy.Select([byLabels], services, Bookinfo.Map(("zone", "hz"))));
        Assert.Same(byApp, FencePolicy.Select([byApp], services, Bookinfo.Map(("app", "web"))));
        // A fence from its Service whose Service is gone fences nothing.
        Assert.Null(FencePolicy.Select([byService], [], Bookinfo.Map(("app", "web"), ("tier", "front"))));
    }

    [Fact]
    public void InForce_EnabledFences_PlusOneImpliedPerServiceLabelledFenced()
    {
        var disabled = Fence("  enable: false");
        var labelled = Svc("cart", "shop", Bookinfo.Map((ServiceFence.FencedLabel, "true")));
        var notLabelled = Svc("pay", "shop", Bookinfo.Map((ServiceFence.FencedLabel, "false")));
        var manual = Fence("  enable: true") with { Meta = ObjectMeta.Of("pay", "shop") };

        var inForce = FencePolicy.InForce([disabled, manual], [labelled, notLabelled, Svc("web", "shop")]);

        Assert.Equal(["cart", "pay"], inForce.Select(f => f.Meta.Name));
        Assert.True(inForce[0].Enable);
        Assert.Empty(inForce[0].Hosts);
    }

    [Fact]
    public void InForce_NamespaceLabelledFenced_FencesEveryServiceButThoseLabelledFalse()
    {
        var optedOut = Svc("pay", "shop", Bookinfo.Map((ServiceFence.FencedLabel, "false")));
        var disabled = Fence("  enable: false") with { Meta = ObjectMeta.Of("cart", "shop") };

        var inForce = FencePolicy.InForce([disabled], [Svc("web", "shop"), Svc("cart", "shop"), optedOut], namespaceFenced: true);

        // web: implied by the namespace; cart: its own fence says enable: false, which wins; pay: opted out.
        Assert.Equal(["web"], inForce.Select(f => f.Meta.Name));
        Assert.Empty(FencePolicy.InForce([], [Svc("web", "shop")], namespaceFenced: false));
    }

    [Fact]
    public void LazyScope_EndsEachRouteInTheEgress_OnTheSamePortOrItsFirst()
    {
        var egressInput = Bookinfo.DetailsInput();
        egressInput = egressInput with
        {
            Service = egressInput.Service with { Hostname = MeshSettings.DefaultLazyEgress, Namespace = "mesh-system", Ports = [Bookinfo.Http(9080), Bookinfo.Http(80)] },
            VirtualServices = [],
        };
        var reviews = Bookinfo.ReviewsInput();
        var services = ImmutableArray.Create(Bookinfo.ScopeService(reviews), Bookinfo.ScopeService(egressInput));
        var view = new ScopeView("bookinfo", services, [], Bookinfo.Settings, Fence: "bookinfo/productpage");

        var scope = ListenerBuilder.BuildSidecarOutbound(view);

        var route9080 = Route(scope, "9080");
        Assert.Equal("lazy_egress", route9080.VirtualHosts[^1].Name);
        Assert.Equal(["*"], route9080.VirtualHosts[^1].Domains);
        Assert.Equal(ResourceNames.OutboundCluster(9080, null, MeshSettings.DefaultLazyEgress), route9080.VirtualHosts[^1].Routes[0].Route_.Cluster);
        Assert.DoesNotContain(route9080.VirtualHosts, v => v.Name == "allow_any");
        // Port 80 exists only because the egress serves it: unknown services on it reach the egress too.
        Assert.Equal(ResourceNames.OutboundCluster(80, null, MeshSettings.DefaultLazyEgress), Route(scope, "80").VirtualHosts[^1].Routes[0].Route_.Cluster);
        Assert.Empty(scope.Diagnostics);
    }

    [Fact]
    public void LazyScope_WithoutTheEgressInTheMesh_KeepsIstiosCatchAll_AndSaysWhy()
    {
        var view = new ScopeView("bookinfo", [Bookinfo.ScopeService(Bookinfo.ReviewsInput())], [], Bookinfo.Settings, Fence: "bookinfo/productpage");

        var scope = ListenerBuilder.BuildSidecarOutbound(view);

        Assert.Equal("allow_any", Route(scope, "9080").VirtualHosts[^1].Name);
        var diagnostic = Assert.Single(scope.Diagnostics);
        // Neither the namespace's own egress (namespace mode) nor the configured one (cluster mode).
        Assert.Contains($"Lazy egress mesh-lazy-egress.bookinfo.svc.cluster.local or {MeshSettings.DefaultLazyEgress} is not in the mesh", diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public void ScopeService_ListsWhereItsVirtualServicesRoute_OtherThanItself()
    {
        var input = Bookinfo.ReviewsInput();
        var vs = input.VirtualServices[0];
        var toRatings = vs with { Http = [vs.Http[0] with { Route = [vs.Http[0].Route[0] with { Destination = vs.Http[0].Route[0].Destination with { Host = "ratings" } }] }] };

        Assert.Equal(["ratings.bookinfo.svc.cluster.local"], ScopeService.DestinationsOf(input with { VirtualServices = [toRatings] }).AsEnumerable());
        Assert.Empty(ScopeService.DestinationsOf(input));
    }

    private static RouteConfiguration Route(ScopeResources scope, string name) =>
        (RouteConfiguration)EnvoyJson.Parse(scope.Routes.Single(r => r.Name == name));
}

/// <summary>Slime's ACTIVE → EXPIREWAIT → EXPIRE for learned hosts.</summary>
public sealed class FenceExpiryTests
{
    private static readonly DateTimeOffset Seen = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(0, LearnedStatus.Active, 10)]
    [InlineData(9, LearnedStatus.Active, 10)]
    [InlineData(10, LearnedStatus.ExpireWait, 20)]
    [InlineData(19, LearnedStatus.ExpireWait, 20)]
    [InlineData(20, LearnedStatus.Expire, null)]
    public void Status_AndItsNextChange_AfterMinutesQuiet(int minutes, LearnedStatus status, int? nextAtMinute)
    {
        var now = Seen.AddMinutes(minutes);

        Assert.Equal(status, FenceExpiry.StatusOf(Seen, now, Quiet));
        Assert.Equal(nextAtMinute is { } m ? Seen.AddMinutes(m) : null, FenceExpiry.NextChange(Seen, now, Quiet));
    }
}
