using Mesh.Testing;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>Golden files for the Bookinfo model: every resource type, rendered as Envoy JSON.</summary>
public sealed class TranslationGoldenTests
{
    private static IEnumerable<(string, XdsResource)> Tag(string source, IEnumerable<XdsResource> resources) =>
        resources.Select(r => (source, r));

    [Fact]
    public void Clusters_Bookinfo_MatchGolden()
    {
        var resources = Bookinfo.All().SelectMany(i => Tag("service", ClusterBuilder.BuildOutbound(i)))
            .Concat(Tag("sidecar", ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope()).OwnClusters));
        GoldenFile.AssertMatches("Model.Tests", "bookinfo/clusters.json", EnvoyJson.Render(resources));
    }

    [Fact]
    public void Endpoints_Bookinfo_MatchGolden()
    {
        var resources = Bookinfo.All().SelectMany(i => Tag("service", EndpointBuilder.Build(i)));
        GoldenFile.AssertMatches("Model.Tests", "bookinfo/endpoints.json", EnvoyJson.Render(resources));
    }

    [Fact]
    public void Listeners_Bookinfo_MatchGolden()
    {
        var resources = Tag("sidecar", ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope()).Listeners)
            .Concat(Bookinfo.All().SelectMany(i => Tag("proxyless", ListenerBuilder.BuildProxyless(i))))
            .Concat(Tag("router", ListenerBuilder.BuildRouter(Bookinfo.IngressGateway()).Listeners));
        GoldenFile.AssertMatches("Model.Tests", "bookinfo/listeners.json", EnvoyJson.Render(resources));
    }

    [Fact]
    public void Routes_Bookinfo_MatchGolden()
    {
        var resources = Tag("sidecar", ListenerBuilder.BuildSidecar(Bookinfo.ProductPageScope()).Routes)
            .Concat(Bookinfo.All().SelectMany(i => Tag("proxyless", RouteBuilder.BuildProxylessRoutes(i))))
            .Concat(Tag("router", ListenerBuilder.BuildRouter(Bookinfo.IngressGateway()).Routes));
        GoldenFile.AssertMatches("Model.Tests", "bookinfo/routes.json", EnvoyJson.Render(resources));
    }
}
