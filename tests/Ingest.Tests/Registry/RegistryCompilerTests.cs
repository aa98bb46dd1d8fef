using Mesh.Ingest.Registry;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Tests.Registry;

public sealed class RegistryCompilerTests
{
    private static DesiredState Compile(string yaml)
    {
        var parsed = ManifestParser.Parse(yaml, "test.yaml");
        Assert.Empty(parsed.Errors);
        return RegistryCompiler.Compile(parsed.Objects, MeshSettings.Default);
    }

    private const string ReviewsService = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          clusterIP: 10.96.0.7
          selector: {app: reviews}
          ports: [{name: http, port: 9080, targetPort: 9080}, {name: grpc-admin, port: 9090}]
        """;

    [Fact]
    public void Compile_EndpointSlices_JoinPodsForLabelsAccountAndZone()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reviews-v2-abc, namespace: bookinfo, labels: {app: reviews, version: v2}}
            spec: {serviceAccountName: bookinfo-reviews}
            status: {podIP: 10.10.0.2, phase: Running}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: reviews-1, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints:
            - addresses: [10.10.0.2]
              conditions: {ready: true}
              zone: zone-b
              targetRef: {kind: Pod, name: reviews-v2-abc, namespace: bookinfo}
            """);

        var svc = state.Services["reviews.bookinfo.svc.cluster.local"];
        var ep = Assert.Single(svc.Endpoints);
        Assert.Equal("10.10.0.2", ep.Address);
        Assert.Equal("v2", ep.Labels["version"]);
        Assert.Equal("bookinfo-reviews", ep.ServiceAccount);
        Assert.Equal("zone-b", ep.Locality.Zone);
        // The slice names only the http port: the endpoint serves 9080 and not the admin port.
        Assert.Equal([9080], ep.Ports.Keys);
        Assert.Equal(["10.96.0.7"], svc.Definition.Addresses.ToArray());
        Assert.Equal([Protocol.Http, Protocol.Grpc], svc.Definition.Ports.Select(p => p.Protocol));
    }

    [Fact]
    public void Compile_SameAddressInTwoSlices_KeptOnceAndHealthyWins()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: reviews-a, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints:
            - {addresses: [10.10.0.5], conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.10.0.6], conditions: {ready: true}}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: reviews-b, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints:
            - {addresses: [10.10.0.5], conditions: {ready: true}}
            """);

        var eps = state.Services["reviews.bookinfo.svc.cluster.local"].Endpoints;
        Assert.Equal(["10.10.0.5", "10.10.0.6"], eps.Select(e => e.Address));
        Assert.All(eps, e => Assert.Equal(EndpointHealth.Healthy, e.Health));
    }

    [Fact]
    public void Compile_TerminatingServingEndpoint_IsDraining()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: reviews-a, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints:
            - {addresses: [10.10.0.5], conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.10.0.7], conditions: {ready: false, serving: false, terminating: false}}
            """);

        var eps = state.Services["reviews.bookinfo.svc.cluster.local"].Endpoints;
        Assert.Equal([EndpointHealth.Draining, EndpointHealth.Unhealthy], eps.Select(e => e.Health));
    }

    [Fact]
    public void Compile_NoSlices_EndpointsFromRunningPodsTheSelectorPicks()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reviews-1, namespace: bookinfo, labels: {app: reviews}}
            status: {podIP: 10.10.0.9, phase: Running}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reviews-2, namespace: bookinfo, labels: {app: reviews}}
            status: {podIP: 10.10.0.10, phase: Pending}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ratings-1, namespace: bookinfo, labels: {app: ratings}}
            status: {podIP: 10.10.0.11, phase: Running}
            """);

        var ep = Assert.Single(state.Services["reviews.bookinfo.svc.cluster.local"].Endpoints);
        Assert.Equal("10.10.0.9", ep.Address);
        // targetPort 9080 for http; the admin port has no targetPort and maps to itself.
        Assert.Equal(new Dictionary<int, int> { [9080] = 9080, [9090] = 9090 }, ep.Ports);
    }

    [Fact]
    public void Compile_ServiceEntryEndpoints_MapPortsByName()
    {
        var state = Compile("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo, namespace: e2e}
            spec:
              hosts: [echo.e2e.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 7070, name: grpc, protocol: GRPC}]
              endpoints:
              - {address: 127.0.0.1, ports: {grpc: 17001}, labels: {version: v1}, locality: us/zone-1}
              - {address: 127.0.0.1, ports: {grpc: 17002}, labels: {version: v2}, weight: 3}
            """);

        var svc = state.Services["echo.e2e.svc.cluster.local"];
        Assert.Equal(ServiceOrigin.ServiceEntry, svc.Definition.Origin);
        Assert.Equal([17001, 17002], svc.Endpoints.Select(e => e.Ports[7070]));
        Assert.Equal(new Locality("us", "zone-1", ""), svc.Endpoints[0].Locality);
        Assert.Equal(3, svc.Endpoints[1].Weight);
    }

    [Fact]
    public void Compile_DestinationRuleInServiceNamespace_WinsAndMeshVirtualServicesApply()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a-other, namespace: other}
            spec: {host: reviews.bookinfo.svc.cluster.local}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec: {host: reviews}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: edge, namespace: bookinfo}
            spec:
              hosts: [reviews]
              gateways: [bookinfo-gateway]
              http: [{route: [{destination: {host: reviews}}]}]
            """);

        var routing = state.Services["reviews.bookinfo.svc.cluster.local"].Routing;
        Assert.Equal("bookinfo/reviews", $"{routing.DestinationRule!.Meta.Namespace}/{routing.DestinationRule.Meta.Name}");
        Assert.Equal(["reviews"], routing.VirtualServices.Select(v => v.Meta.Name));
        Assert.Equal(["edge"], state.Namespaces["bookinfo"].GatewayVirtualServices.Select(v => v.Meta.Name));
    }

    [Fact]
    public void Compile_HostDefinedTwice_FirstWinsAndConflictReported()
    {
        var state = Compile(ReviewsService + """

            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: shadow, namespace: bookinfo}
            spec:
              hosts: [reviews.bookinfo.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
            """);

        Assert.Equal(ServiceOrigin.Kubernetes, state.Services["reviews.bookinfo.svc.cluster.local"].Definition.Origin);
        var conflict = Assert.Single(state.Diagnostics);
        Assert.Equal(("ServiceEntry", "bookinfo", "shadow"), (conflict.Kind, conflict.Namespace, conflict.Name));
        Assert.Contains("already defined by Service bookinfo/reviews", conflict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_ExportToAnnotation_CarriedToService()
    {
        var state = Compile("""
            apiVersion: v1
            kind: Service
            metadata: {name: private, namespace: a, annotations: {networking.istio.io/exportTo: "., b"}}
            spec: {ports: [{name: http, port: 80}]}
            """);

        Assert.Equal([".", "b"], state.Services["private.a.svc.cluster.local"].Definition.ExportTo.ToArray());
    }

    [Fact]
    public void Compile_SameInput_SameFingerprints()
    {
        var yaml = ReviewsService + "\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: r1, namespace: bookinfo, labels: {app: reviews}}\nstatus: {podIP: 10.1.1.1, phase: Running}\n";
        var a = Compile(yaml).Services.Single().Value;
        var b = Compile(yaml).Services.Single().Value;
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(a), System.Text.Json.JsonSerializer.Serialize(b));
    }

    [Fact]
    public void Compile_NamespaceObjects_DoNotCreateAnEmptyNamespace()
    {
        var state = Compile("apiVersion: v1\nkind: Namespace\nmetadata: {name: bookinfo}\n---\n" + ReviewsService);
        Assert.Equal(["bookinfo"], state.Namespaces.Keys);
    }

    private const string VmEntry = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: details-vms, namespace: bookinfo}
        spec:
          hosts: [details.vm.internal, details-alias.vm.internal]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 9080, name: http, protocol: HTTP}]
          workloadSelector: {labels: {app: details}}
        """;

    [Fact]
    public void Compile_WorkloadEntryWithNetworkAndNoAddress_NoEndpointAndDiagnosticPerHost()
    {
        var state = Compile(VmEntry + """

            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-local, namespace: bookinfo}
            spec: {address: 10.20.0.7, labels: {app: details}}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm-remote, namespace: bookinfo}
            spec: {network: network-2, labels: {app: details}}
            """);

        Assert.All(state.Services.Values, s => Assert.Equal(["10.20.0.7"], s.Endpoints.Select(e => e.Address)));
        Assert.Equal(
            [
                "WorkloadEntry bookinfo/vm-remote: spec.address: is empty, so this workload on network 'network-2' is not an endpoint of "
                    + "details-alias.vm.internal (ServiceEntry bookinfo/details-vms): Istio reaches such a workload through its network's gateway, which Mesh does not support",
                "WorkloadEntry bookinfo/vm-remote: spec.address: is empty, so this workload on network 'network-2' is not an endpoint of "
                    + "details.vm.internal (ServiceEntry bookinfo/details-vms): Istio reaches such a workload through its network's gateway, which Mesh does not support",
            ],
            state.Diagnostics.Select(e => e.ToString()));
    }

    [Fact]
    public void Compile_InlineEndpointWithNetworkAndNoAddress_NoEndpointAndDiagnostic()
    {
        var state = Compile("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: e2e}
            spec:
              hosts: [api.example.com]
              resolution: STATIC
              ports: [{number: 443, name: https, protocol: HTTPS}]
              endpoints: [{network: network-2}, {address: 192.168.0.5}]
            """);

        Assert.Equal(["192.168.0.5"], state.Services["api.example.com"].Endpoints.Select(e => e.Address));
        var diagnostic = Assert.Single(state.Diagnostics);
        Assert.Equal(("ServiceEntry", "e2e", "api", "spec.endpoints[0].address"), (diagnostic.Kind, diagnostic.Namespace, diagnostic.Name, diagnostic.Field));
        Assert.StartsWith("is empty, so this workload on network 'network-2' is not an endpoint of api.example.com", diagnostic.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_UnixSocketEndpoint_NoEndpointAndDiagnostic()
    {
        var state = Compile("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: uds, namespace: e2e}
            spec:
              hosts: [uds.example.com]
              resolution: STATIC
              ports: [{number: 6553, name: grpc, protocol: GRPC}]
              endpoints: [{address: "unix:///var/run/app.sock"}]
            """);

        Assert.Empty(state.Services["uds.example.com"].Endpoints);
        var diagnostic = Assert.Single(state.Diagnostics);
        Assert.Equal(("ServiceEntry", "spec.endpoints[0].address"), (diagnostic.Kind, diagnostic.Field));
        Assert.Equal(
            "'unix:///var/run/app.sock' is a unix domain socket, so it is not an endpoint of uds.example.com: "
                + "Istio gives Envoy a pipe address for it, which Mesh does not serve yet",
            diagnostic.Reason);
    }

    [Fact]
    public void Compile_PortWithoutProtocol_IsTcp()
    {
        var state = Compile("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy, namespace: e2e}
            spec:
              hosts: [legacy.example.com]
              addresses: [240.0.0.7]
              resolution: STATIC
              ports: [{number: 7000, name: legacy}]
              endpoints: [{address: 192.168.0.7}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: legacy, namespace: e2e}
            spec:
              clusterIP: 10.96.0.9
              ports: [{name: web, port: 8080}, {port: 8081, name: custom, appProtocol: custom}]
            """);

        Assert.Equal(Protocol.Tcp, Assert.Single(state.Services["legacy.example.com"].Definition.Ports).Protocol);
        Assert.Equal([Protocol.Tcp, Protocol.Tcp], state.Services["legacy.e2e.svc.cluster.local"].Definition.Ports.Select(p => p.Protocol));
    }
}
