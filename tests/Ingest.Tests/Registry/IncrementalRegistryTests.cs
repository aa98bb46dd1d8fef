using Mesh.Grains.Dtos;
using Mesh.Ingest.Registry;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// The incremental compile every ingest source runs: a changed object compiles the hosts and
/// namespaces it affects and nothing else, and what it compiles equals a full compile of the same
/// objects (so a file change in a 10,000-service manifest directory costs one host, not the mesh).
/// </summary>
public sealed class IncrementalRegistryTests
{
    private static readonly string Reviews = "reviews.bookinfo.svc.cluster.local";
    private static readonly string Ratings = "ratings.bookinfo.svc.cluster.local";
    private static readonly string Catalog = "catalog.shop.svc.cluster.local";

    private static List<ConfigObject> Parse(string yaml)
    {
        var parsed = ManifestParser.Parse(yaml, "test.yaml");
        Assert.Empty(parsed.Errors);
        return [.. parsed.Objects];
    }

    private static string Service(string name, string ns, string ip) => $$"""
        apiVersion: v1
        kind: Service
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          clusterIP: {{ip}}
          selector: {app: {{name}}}
          ports: [{name: http, port: 9080}]
        ---

        """;

    private static string VirtualService(string host, string header) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: vs
          namespace: bookinfo
        spec:
          hosts: [{host}]
          http:
          - match:
            - headers:
                x-test:
                  exact: {header}
            route:
            - destination:
                host: {host}
          - route:
            - destination:
                host: {host}
        ---

        """;

    private const string SidecarYaml = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: shop}
        spec:
          egress: [{hosts: ["./*"]}]
        ---

        """;

    private static readonly string Mesh = Service("reviews", "bookinfo", "10.96.0.7") + Service("ratings", "bookinfo", "10.96.0.8")
        + Service("catalog", "shop", "10.96.1.1") + SidecarYaml + VirtualService(Reviews, "a");

    private static (IncrementalRegistry Registry, Dictionary<string, DesiredService?> Services, Dictionary<string, NamespaceConfig?> Namespaces) LoadAll(List<ConfigObject> objects)
    {
        var registry = new IncrementalRegistry(MeshSettings.Default);
        var dirty = new DirtySet();
        foreach (var o in objects)
        {
            registry.Apply(o.Key, o, dirty);
        }
        var (services, namespaces) = registry.Compile(dirty, everything: true);
        return (registry, services, namespaces);
    }

    private static string Policy(string name, string ns, string selector) => $$"""
        apiVersion: mesh.dev/v1alpha1
        kind: RolloutPolicy
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          selector: {{selector}}
          stages: [{percent: 100}]
        ---

        """;

    [Fact]
    public void APolicyThatSelectsNothing_IsWarned_OneThatSelectsAnObjectIsNot_AndItGovernsTheHostsRouting()
    {
        var (registry, services, _) = LoadAll(Parse(Mesh + Policy("ghost", "bookinfo", "{names: [nope]}") + Policy("vs-only", "bookinfo", "{kinds: [VirtualService]}")
            + Policy("elsewhere", "shop", "{}")));

        var warnings = registry.Diagnostics.Where(d => d.Kind == "RolloutPolicy").ToList();
        Assert.Equal(["bookinfo/ghost", "shop/elsewhere"], warnings.Select(w => $"{w.Namespace}/{w.Name}"));
        Assert.All(warnings, w => Assert.Equal("spec.selector", w.Field));
        Assert.Contains("governs nothing until one matches", warnings[0].Reason, StringComparison.Ordinal);
        Assert.Equal("vs-only", services[Reviews]!.Policy?.Meta.Name);
        Assert.Null(services[Ratings]!.Policy);
    }

    [Fact]
    public void FirstLoad_CompilesWhatAFullCompileDoes()
    {
        var objects = Parse(Mesh);
        var (_, services, namespaces) = LoadAll(objects);
        var full = RegistryCompiler.Compile(objects, MeshSettings.Default);

        Assert.Equal(full.Services.Keys.Order(StringComparer.Ordinal), services.Keys.Order(StringComparer.Ordinal));
        foreach (var (host, svc) in full.Services)
        {
            Assert.Equal(Fingerprint.Of(svc), Fingerprint.Of(services[host]));
        }
        Assert.Equal(full.Namespaces.Keys.Order(StringComparer.Ordinal), namespaces.Keys.Order(StringComparer.Ordinal));
        foreach (var (ns, config) in full.Namespaces)
        {
            Assert.Equal(Fingerprint.Of(config), Fingerprint.Of(namespaces[ns]));
        }
    }

    [Fact]
    public void ChangedVirtualService_CompilesItsHostOnly_AndItsNamespaceUnchanged()
    {
        var (registry, _, before) = LoadAll(Parse(Mesh));
        var changed = Parse(VirtualService(Reviews, "b")).Single();

        var dirty = new DirtySet();
        registry.Apply(changed.Key, changed, dirty);
        var (services, namespaces) = registry.Compile(dirty, everything: false);

        Assert.Equal([Reviews], services.Keys);
        // The VirtualService's own namespace is compiled again (a gateway-bound VirtualService would
        // be part of its config); this one is mesh-bound, so the config is unchanged: no write.
        Assert.Equal(["bookinfo"], namespaces.Keys);
        Assert.Equal(Fingerprint.Of(before["bookinfo"]), Fingerprint.Of(namespaces["bookinfo"]));
        var full = RegistryCompiler.Compile(Parse(Service("reviews", "bookinfo", "10.96.0.7") + VirtualService(Reviews, "b")), MeshSettings.Default);
        Assert.Equal(Fingerprint.Of(full.Services[Reviews].Routing), Fingerprint.Of(services[Reviews]!.Routing));
    }

    [Fact]
    public void TheObjectAlreadyHeld_CompilesNothing()
    {
        var objects = Parse(Mesh);
        var (registry, _, _) = LoadAll(objects);

        var dirty = new DirtySet();
        foreach (var o in objects)
        {
            registry.Apply(o.Key, o, dirty); // an unchanged file keeps its parsed objects
        }

        Assert.True(dirty.IsEmpty);
        var (services, namespaces) = registry.Compile(dirty, everything: false);
        Assert.Empty(services);
        Assert.Empty(namespaces);
    }

    [Fact]
    public void DeletedService_CompilesToNothing_AndRecompilesItsNamespaceWithoutIt()
    {
        var objects = Parse(Mesh);
        var (registry, _, _) = LoadAll(objects);
        var ratings = objects.Single(o => o.Kind == ConfigKind.Service && o.Meta.Name == "ratings");

        var dirty = new DirtySet();
        registry.Apply(ratings.Key, null, dirty);
        var (services, namespaces) = registry.Compile(dirty, everything: false);

        Assert.Equal([Ratings], services.Keys);
        Assert.Null(services[Ratings]); // the writer removes it
        Assert.Equal(["bookinfo"], namespaces.Keys);
        Assert.Equal([Reviews], namespaces["bookinfo"]!.Services.Select(s => s.Hostname));
        Assert.DoesNotContain(Catalog, services.Keys);
    }

    private static string Delegating(string host) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: bookinfo}
        spec:
          hosts: [{{host}}]
          http:
          - match:
            - uri: {prefix: /api}
            delegate: {name: api, namespace: shop}
        ---

        """;

    private static string DelegateVs(string prefix) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: api, namespace: shop}
        spec:
          http:
          - match:
            - uri:
                prefix: {{prefix}}
            route:
            - destination: {host: catalog}
        ---

        """;

    /// <summary>Delegation (issue 15): the host's routing holds the root with the delegate's routes merged in; a change of the delegate alone compiles the root's host again.</summary>
    [Fact]
    public void DelegateChange_RecompilesTheRootsHost_WithTheMergedRoutes()
    {
        var (registry, services, _) = LoadAll(Parse(Service("reviews", "bookinfo", "10.96.0.7") + Service("catalog", "shop", "10.96.1.1") + Delegating(Reviews) + DelegateVs("/api/v1")));
        var merged = services[Reviews]!.Routing.VirtualServices.Single().Http.Single();
        Assert.Equal(("/api/v1", Catalog), (merged.Match.Single().Uri!.Value, merged.Route.Single().Destination.Host));

        var changed = Parse(DelegateVs("/api/v2")).Single();
        var dirty = new DirtySet();
        registry.Apply(changed.Key, changed, dirty);
        var (recompiled, _) = registry.Compile(dirty, everything: false);

        Assert.Contains(Reviews, recompiled.Keys);
        Assert.Equal("/api/v2", recompiled[Reviews]!.Routing.VirtualServices.Single().Http.Single().Match.Single().Uri!.Value);

        // A delegate route that does not narrow the root's match is dropped and reported.
        var conflicting = Parse(DelegateVs("/other")).Single();
        dirty = new DirtySet();
        registry.Apply(conflicting.Key, conflicting, dirty);
        var (dropped, _) = registry.Compile(dirty, everything: false);
        Assert.Empty(dropped[Reviews]!.Routing.VirtualServices.Single().Http);
        Assert.Contains(registry.Diagnostics, d => d.Name == "vs" && d.Reason.Contains("conflicts with the matches", StringComparison.Ordinal));
    }

    private static string External(string name, string host) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{name}}, namespace: shop}
        spec:
          hosts: [{{host}}]
          location: MESH_EXTERNAL
          resolution: DNS
          ports: [{number: 80, name: http, protocol: HTTP}]
        ---

        """;

    private static string HostVs(string name, string host, int seconds) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}, namespace: shop}
        spec:
          hosts: ["{{host}}"]
          http:
          - timeout: {{seconds}}s
            route:
            - destination: {host: api.example.com}
        ---

        """;

    /// <summary>Wildcard hosts (issue 15): a VirtualService for <c>*.example.com</c> routes every defined host under it that no VirtualService names (a named one wins, as the more specific host in Istio); adding or removing it recompiles those hosts.</summary>
    [Fact]
    public void WildcardVirtualService_RoutesTheHostsUnderIt_ThatNoVirtualServiceNames()
    {
        var (registry, services, _) = LoadAll(Parse(External("a", "a.example.com") + External("b", "b.example.com") + External("c", "c.other.com") + HostVs("exact", "a.example.com", 1)));
        Assert.Equal(["exact"], services["a.example.com"]!.Routing.VirtualServices.Select(v => v.Meta.Name));
        Assert.Empty(services["b.example.com"]!.Routing.VirtualServices);

        var wildcard = Parse(HostVs("all", "*.example.com", 9)).Single();
        var dirty = new DirtySet();
        registry.Apply(wildcard.Key, wildcard, dirty);
        var (recompiled, _) = registry.Compile(dirty, everything: false);

        Assert.Equal(["all"], recompiled["b.example.com"]!.Routing.VirtualServices.Select(v => v.Meta.Name));
        Assert.Equal(["exact"], recompiled["a.example.com"]!.Routing.VirtualServices.Select(v => v.Meta.Name));
        Assert.DoesNotContain("c.other.com", recompiled.Keys);

        dirty = new DirtySet();
        registry.Apply(wildcard.Key, null, dirty);
        (recompiled, _) = registry.Compile(dirty, everything: false);
        Assert.Empty(recompiled["b.example.com"]!.Routing.VirtualServices);
    }
}
