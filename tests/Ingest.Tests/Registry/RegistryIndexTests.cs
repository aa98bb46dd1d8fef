using Mesh.Ingest.Registry;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// The incremental index: a change recompiles only what it affects, and slices are joined to pods
/// with an address kept once across slices (gRPC rejects duplicate endpoints, G-06).
/// </summary>
public sealed class RegistryIndexTests
{
    private const string Mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: a, namespace: ns}
        spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b, namespace: ns}
        spec: {clusterIP: 10.96.0.2, selector: {app: b}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a-1, namespace: ns, labels: {app: a, version: v1}}
        spec: {serviceAccountName: sa-a}
        status: {podIP: 10.0.0.1, phase: Running}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: a-x, namespace: ns, labels: {kubernetes.io/service-name: a}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints:
        - addresses: [10.0.0.1]
          conditions: {ready: false, serving: true, terminating: true}
          targetRef: {kind: Pod, name: a-1}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: a-y, namespace: ns, labels: {kubernetes.io/service-name: a}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints:
        - addresses: [10.0.0.1]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: a-1}
        - addresses: [10.0.0.2]
          conditions: {ready: true}
        """;

    private static (RegistryIndex Index, IReadOnlyList<ConfigObject> Objects) Load()
    {
        var parsed = ManifestParser.Parse(Mesh, "mesh.yaml");
        Assert.Empty(parsed.Errors);
        var index = new RegistryIndex(MeshSettings.Default);
        foreach (var o in parsed.Objects)
        {
            index.Apply(o.Key, o, new DirtySet());
        }
        return (index, parsed.Objects);
    }

    [Fact]
    public void AddressInTwoSlices_IsOneEndpoint_TheHealthyOne_JoinedToItsPod()
    {
        var (index, _) = Load();

        var a = index.CompileHost("a.ns.svc.cluster.local", []);

        Assert.NotNull(a);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], a.Endpoints.Select(e => e.Address));
        var first = a.Endpoints[0];
        Assert.Equal(EndpointHealth.Healthy, first.Health);
        Assert.Equal("sa-a", first.ServiceAccount);
        Assert.Equal("v1", first.Labels["version"]);
    }

    [Fact]
    public void PodChange_DirtiesOnlyTheServiceWhoseSlicesPickIt()
    {
        var (index, objects) = Load();
        var pod = (Pod)objects.Single(o => o is Pod);
        var dirty = new DirtySet();

        index.Apply(pod.Key, pod with { Meta = pod.Meta with { Labels = pod.Meta.Labels.SetItem("version", "v2") } }, dirty);

        Assert.Equal(["a.ns.svc.cluster.local"], dirty.Hosts);
        Assert.Equal("v2", index.CompileHost("a.ns.svc.cluster.local", [])!.Endpoints[0].Labels["version"]);
    }

    [Fact]
    public void SliceRemoval_DirtiesItsService_AndTheOtherSliceStillServes()
    {
        var (index, objects) = Load();
        var slice = objects.OfType<EndpointSlice>().Single(s => s.Meta.Name == "a-y");
        var dirty = new DirtySet();

        index.Apply(slice.Key, null, dirty);

        Assert.Equal(["a.ns.svc.cluster.local"], dirty.Hosts);
        var a = index.CompileHost("a.ns.svc.cluster.local", [])!;
        Assert.Equal(EndpointHealth.Draining, Assert.Single(a.Endpoints).Health);
    }

    [Fact]
    public void IncrementalResult_EqualsTheFullCompile()
    {
        var (index, objects) = Load();
        var full = RegistryCompiler.Compile(objects, MeshSettings.Default);

        foreach (var (host, svc) in full.Services)
        {
            var incremental = index.CompileHost(host, [])!;
            // Records holding immutable arrays compare by reference: compare their JSON form.
            Assert.Equal(Fingerprint.Of(svc.Definition), Fingerprint.Of(incremental.Definition));
            Assert.Equal(Fingerprint.Of(svc.Endpoints), Fingerprint.Of(incremental.Endpoints));
        }
        Assert.Equal(2, full.Services.Count);
    }

    [Fact]
    public void WorkloadEntryGivenAnAddress_BecomesAnEndpointAndItsDiagnosticGoes()
    {
        var parsed = ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: vms, namespace: ns}
            spec: {hosts: [vm.internal], resolution: STATIC, ports: [{number: 80, name: http, protocol: HTTP}], workloadSelector: {labels: {app: vm}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-1, namespace: ns}
            spec: {network: network-2, labels: {app: vm}}
            """, "mesh.yaml");
        var index = new RegistryIndex(MeshSettings.Default);
        foreach (var o in parsed.Objects)
        {
            index.Apply(o.Key, o, new DirtySet());
        }
        var diagnostics = new List<ConfigError>();
        Assert.Empty(index.CompileHost("vm.internal", diagnostics)!.Endpoints);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(("WorkloadEntry", "vm-1", "spec.address"), (diagnostic.Kind, diagnostic.Name, diagnostic.Field));

        var entry = (WorkloadEntry)parsed.Objects[1];
        var dirty = new DirtySet();
        index.Apply(entry.Key, entry with { Spec = entry.Spec with { Address = "10.20.0.9" } }, dirty);
        diagnostics.Clear();

        Assert.Contains("vm.internal", dirty.Hosts);
        Assert.Equal(["10.20.0.9"], index.CompileHost("vm.internal", diagnostics)!.Endpoints.Select(e => e.Address));
        Assert.Empty(diagnostics);
    }
}
