using System.Collections.Immutable;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Config;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// Golden files for the repository's example mesh (examples/), through the same path the embedded
/// default takes: parse and validate every file, compile the registry, then build every service's
/// resources, the productpage sidecar's scope and the ingress gateway's. REFRESH_GOLDEN=true rewrites
/// tests/Ingest.Tests/testdata/examples/*.json.
/// </summary>
public sealed class ExampleMeshGoldenTests
{
    private static readonly MeshSettings Settings = MeshSettings.Default;

    private sealed record Built(
        ImmutableArray<(string, XdsResource)> Clusters,
        ImmutableArray<(string, XdsResource)> Endpoints,
        ImmutableArray<(string, XdsResource)> Listeners,
        ImmutableArray<(string, XdsResource)> Routes);

    private static Built Build()
    {
        var dir = Path.Combine(RepoRoot(), "examples");
        var (objects, errors, _) = new ManifestSet().Update(dir, ManifestSet.Scan(dir));
        Assert.Empty(errors);
        var state = RegistryCompiler.Compile(objects, Settings);
        Assert.Empty(state.Diagnostics);

        var inputs = state.Services.Values
            .Select(s => s.ToTranslationInput(Settings))
            .ToList();
        var scopeServices = inputs.Where(i => i.Service.Namespace == "bookinfo")
            .Select(ScopeService.From)
            .ToImmutableArray();
        var sidecar = ListenerBuilder.BuildSidecar(new ScopeView("bookinfo", scopeServices, [new InboundPort(9080, Model.Services.Protocol.Http)], Settings));
        Assert.Empty(sidecar.Diagnostics);
        var ns = state.Namespaces["bookinfo"];
        var router = ListenerBuilder.BuildRouter(new RouterView(ns.Gateways, ns.GatewayVirtualServices,
            state.Services.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.Definition.Ports, StringComparer.Ordinal), Settings));
        Assert.Empty(router.Diagnostics);

        static IEnumerable<(string, XdsResource)> Tag(string source, IEnumerable<XdsResource> rs) => rs.Select(r => (source, r));
        return new Built(
            [.. inputs.SelectMany(i => Tag("service", ClusterBuilder.BuildOutbound(i))).Concat(Tag("sidecar", sidecar.OwnClusters))],
            [.. inputs.SelectMany(i => Tag("service", EndpointBuilder.Build(i)))],
            [.. Tag("sidecar", sidecar.Listeners).Concat(inputs.SelectMany(i => Tag("proxyless", ListenerBuilder.BuildProxyless(i)))).Concat(Tag("router", router.Listeners))],
            [.. Tag("sidecar", sidecar.Routes).Concat(inputs.SelectMany(i => Tag("proxyless", RouteBuilder.BuildProxylessRoutes(i)))).Concat(Tag("router", router.Routes))]);
    }

    [Fact]
    public void Clusters_ExampleMesh_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "examples/clusters.json", EnvoyJson.Render(Build().Clusters));

    [Fact]
    public void Endpoints_ExampleMesh_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "examples/endpoints.json", EnvoyJson.Render(Build().Endpoints));

    [Fact]
    public void Listeners_ExampleMesh_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "examples/listeners.json", EnvoyJson.Render(Build().Listeners));

    [Fact]
    public void Routes_ExampleMesh_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "examples/routes.json", EnvoyJson.Render(Build().Routes));

    [Fact]
    public void ExampleMesh_ShuffledFiles_SameBytesAndVersions()
    {
        var first = Build();
        var second = Build();
        Assert.Equal(first.Clusters.Select(c => c.Item2.Version), second.Clusters.Select(c => c.Item2.Version));
        Assert.Equal(first.Routes.Select(c => c.Item2.Version), second.Routes.Select(c => c.Item2.Version));
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Mesh.sln")))
            {
                return d.FullName;
            }
        }
        throw new DirectoryNotFoundException("no Mesh.sln above " + AppContext.BaseDirectory);
    }
}
