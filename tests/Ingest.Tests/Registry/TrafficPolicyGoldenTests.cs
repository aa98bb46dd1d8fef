using System.Collections.Immutable;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Mesh.Testing;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// Issue 15's golden files: <c>testdata/traffic-policy/mesh.yaml</c> sets every traffic-management
/// field Mesh translates; the files show the Envoy fields each becomes, through the embedded
/// default's path (parse, validate, compile, build) — services' clusters and endpoints, a sidecar's
/// listeners and routes, a router's TLS listeners and routes, proxyless routes — and what each
/// kind of client is served after its gateway's adaptation (a proxy's locality applied to the load
/// assignments; gRPC clients' clusters; C-core 1.51's routes). REFRESH_GOLDEN=true rewrites them.
/// </summary>
public sealed class TrafficPolicyGoldenTests
{
    private static readonly MeshSettings Settings = MeshSettings.Default;
    private static readonly Locality ProxyLocality = new("us-east", "us-east-a", "1");

    private sealed record Built(
        ImmutableArray<(string, XdsResource)> Clusters,
        ImmutableArray<(string, XdsResource)> Endpoints,
        ImmutableArray<(string, XdsResource)> Listeners,
        ImmutableArray<(string, XdsResource)> Routes);

    private static Built Build(bool reversed = false)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "testdata", "traffic-policy");
        var (objects, errors, _) = new ManifestSet().Update(dir, ManifestSet.Scan(dir));
        Assert.Empty(errors);
        var state = RegistryCompiler.Compile(reversed ? [.. objects.Reverse()] : objects, Settings);
        Assert.Empty(state.Diagnostics);

        var inputs = state.Services.Values.Select(s => s.ToTranslationInput(Settings)).OrderBy(i => i.Service.Hostname, StringComparer.Ordinal).ToList();
        var sidecar = ListenerBuilder.BuildSidecar(new ScopeView("shop", [.. inputs.Select(ScopeService.From)], [new InboundPort(8080, Protocol.Http)], Settings));
        Assert.Empty(sidecar.Diagnostics);
        var ns = state.Namespaces["shop"];
        var router = ListenerBuilder.BuildRouter(new RouterView(ns.Gateways, ns.GatewayVirtualServices,
            state.Services.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.Definition.Ports, StringComparer.Ordinal), Settings));
        Assert.Empty(router.Diagnostics);

        static IEnumerable<(string, XdsResource)> Tag(string source, IEnumerable<XdsResource> rs) => rs.Select(r => (source, r));
        var clusters = inputs.SelectMany(i => ClusterBuilder.BuildOutbound(i)).ToList();
        var endpoints = inputs.SelectMany(i => EndpointBuilder.Build(i)).ToList();
        var proxylessRoutes = inputs.SelectMany(i => RouteBuilder.BuildProxylessRoutes(i)).ToList();
        var grpc = ProxylessClients.QuirksOf("gRPC Node Pure JS", "1.14.7");
        var cCore151 = ProxylessClients.QuirksOf("gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1");
        return new Built(
            [.. Tag("service", clusters).Concat(Tag("sidecar", sidecar.OwnClusters))
                .Concat(Tag("as gRPC clients get it", clusters.Select(c => ProxylessClients.Adapt(c, grpc)).Where(a => !clusters.Contains(a))))],
            [.. Tag("service", endpoints)
                .Concat(Tag($"as a proxy in {ProxyLocality.Region}/{ProxyLocality.Zone}/{ProxyLocality.SubZone} gets it", endpoints.Where(e => e.LocalityLb is not null).Select(e => LocalityLoadBalancing.Adapt(e, ProxyLocality))))],
            [.. Tag("sidecar", sidecar.Listeners).Concat(Tag("proxyless", inputs.SelectMany(i => ListenerBuilder.BuildProxyless(i)))).Concat(Tag("router", router.Listeners))],
            [.. Tag("sidecar", sidecar.Routes).Concat(Tag("proxyless", proxylessRoutes)).Concat(Tag("router", router.Routes))
                .Concat(Tag("as gRPC C-core 1.51 gets it", proxylessRoutes.Select(r => ProxylessClients.Adapt(r, cCore151)).Where(a => !proxylessRoutes.Contains(a))))]);
    }

    [Fact]
    public void Clusters_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "traffic-policy/clusters.json", EnvoyJson.Render(Build().Clusters));

    [Fact]
    public void Endpoints_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "traffic-policy/endpoints.json", EnvoyJson.Render(Build().Endpoints));

    [Fact]
    public void Listeners_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "traffic-policy/listeners.json", EnvoyJson.Render(Build().Listeners));

    [Fact]
    public void Routes_MatchGolden() => GoldenFile.AssertMatches("Ingest.Tests", "traffic-policy/routes.json", EnvoyJson.Render(Build().Routes));

    /// <summary>Determinism: the objects in reverse order build the same bytes (every version equal).</summary>
    [Fact]
    public void ReversedObjects_SameVersions()
    {
        var first = Build();
        var second = Build(reversed: true);
        foreach (var (a, b) in new[] { (first.Clusters, second.Clusters), (first.Endpoints, second.Endpoints), (first.Listeners, second.Listeners), (first.Routes, second.Routes) })
        {
            Assert.Equal(a.Select(r => (r.Item2.Name, r.Item2.Version)), b.Select(r => (r.Item2.Name, r.Item2.Version)));
        }
    }
}
