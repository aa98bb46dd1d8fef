using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;

namespace Mesh.Model.Tests.Config.Parsing;

public sealed partial class ManifestParserTests
{
    [Fact]
    public void Parse_Service_ReadsEveryField()
    {
        var service = YamlFixtures.ParseSingle<KubeService>("""
            apiVersion: v1
            kind: Service
            metadata:
              name: reviews
              namespace: bookinfo
              uid: 7f3c
              resourceVersion: "42"
              labels: {app: reviews}
              annotations:
                networking.istio.io/exportTo: ".,istio-system"
            spec:
              type: ClusterIP
              clusterIP: 10.96.0.12
              selector: {app: reviews}
              ports:
              - name: http
                port: 9080
                targetPort: 9080
              - name: grpc-admin
                port: 9090
                targetPort: admin
                protocol: TCP
                appProtocol: grpc
            """);

        Assert.Equal("reviews", service.Meta.Name);
        Assert.Equal("bookinfo", service.Meta.Namespace);
        Assert.Equal("7f3c", service.Meta.Uid);
        Assert.Equal("42", service.Meta.ResourceVersion);
        Assert.Equal("reviews", service.Meta.Labels["app"]);
        Assert.Equal(".,istio-system", service.Meta.Annotations["networking.istio.io/exportTo"]);
        Assert.Same(StringComparer.Ordinal, service.Meta.Labels.KeyComparer);
        Assert.Equal("ClusterIP", service.Type);
        Assert.Equal("10.96.0.12", service.ClusterIP);
        Assert.Equal("reviews", Assert.Single(service.Selector).Value);
        Assert.Equal(
            [new ServicePort("http", 9080, "9080", "TCP", null), new ServicePort("grpc-admin", 9090, "admin", "TCP", "grpc")],
            service.Ports.ToArray());
    }

    [Fact]
    public void Parse_ServiceWithoutOptionalFields_UsesKubernetesDefaults()
    {
        var service = YamlFixtures.ParseSingle<KubeService>("""
            apiVersion: v1
            kind: Service
            metadata: {name: ratings}
            spec:
              ports: [{port: 9080}]
            """);

        Assert.Equal("ClusterIP", service.Type);
        Assert.Null(service.ClusterIP);
        Assert.Empty(service.Selector);
        Assert.Empty(service.Meta.Annotations);
        Assert.Equal(new ServicePort(null, 9080, null, "TCP", null), Assert.Single(service.Ports));
    }

    [Fact]
    public void Parse_ServicePortWithoutNumber_IsRequired()
    {
        var result = ManifestParser.Parse("""
            apiVersion: v1
            kind: Service
            metadata: {name: ratings}
            spec:
              ports: [{name: http}]
            """, "svc.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("spec.ports[0].port", "is required"), (error.Field, error.Reason));
    }

    [Fact]
    public void Parse_Pod_ReadsIdentityAddressAndPhase()
    {
        var pod = YamlFixtures.ParseSingle<Pod>("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: reviews-v2-5b8c
              namespace: bookinfo
              labels: {app: reviews, version: v2}
            spec:
              serviceAccountName: bookinfo-reviews
              nodeName: node-b
              containers: [{name: reviews, image: reviews:v2}]
            status:
              phase: Running
              podIP: 10.10.2.22
            """);

        Assert.Equal(new ConfigKey(ConfigKind.Pod, "bookinfo", "reviews-v2-5b8c"), pod.Key);
        Assert.Equal(["app", "version"], pod.Meta.Labels.Keys);
        Assert.Equal("v2", pod.Meta.Labels["version"]);
        Assert.Equal("10.10.2.22", pod.PodIP);
        Assert.Equal("bookinfo-reviews", pod.ServiceAccount);
        Assert.Equal("node-b", pod.NodeName);
        Assert.Equal("Running", pod.Phase);
    }

    [Fact]
    public void Parse_PodWithoutStatus_IsPendingWithDefaultServiceAccount()
    {
        var pod = YamlFixtures.ParseSingle<Pod>("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n");

        Assert.Equal((null, "default", "Pending"), (pod.PodIP, pod.ServiceAccount, pod.Phase));
    }

    [Fact]
    public void Parse_Namespace_IsClusterScopedWithLabels()
    {
        var ns = YamlFixtures.ParseSingle<NamespaceObject>("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: bookinfo
              labels: {istio-injection: enabled}
            """);

        Assert.Equal(new ConfigKey(ConfigKind.Namespace, "", "bookinfo"), ns.Key);
        Assert.Equal("enabled", ns.Meta.Labels["istio-injection"]);
    }

    [Fact]
    public void Parse_EndpointSlice_ReadsServiceNamePortsAndEndpoints()
    {
        var slice = YamlFixtures.ParseSingle<EndpointSlice>("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: reviews-x7k2p
              namespace: bookinfo
              labels:
                kubernetes.io/service-name: reviews
            addressType: IPv4
            ports:
            - name: http
              port: 9080
              protocol: TCP
              appProtocol: http
            endpoints:
            - addresses: [10.10.2.21]
              conditions: {ready: true, serving: true, terminating: false}
              nodeName: node-a
              zone: zone-a
              targetRef: {kind: Pod, name: reviews-v1-1, uid: u1}
            - addresses: [10.10.2.22]
              conditions: {ready: false}
            """);

        Assert.Equal("reviews", slice.ServiceName);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(new EndpointSlicePort("http", 9080, "TCP", "http"), Assert.Single(slice.Ports));
        Assert.Equal(2, slice.Endpoints.Length);
        var first = slice.Endpoints[0];
        Assert.Equal(["10.10.2.21"], first.Addresses.ToArray());
        Assert.Equal((true, true, false), (first.Ready, first.Serving, first.Terminating));
        Assert.Equal(("node-a", "zone-a"), (first.NodeName, first.Zone));
        Assert.Equal(new ObjectReference("Pod", "bookinfo", "reviews-v1-1", "u1"), first.TargetRef);
        var second = slice.Endpoints[1];
        Assert.Equal((false, null, null, null, null), (second.Ready, second.Serving, second.Terminating, second.TargetRef, second.Zone));
    }

    [Fact]
    public void Parse_EndpointSliceWithoutServiceNameLabel_HasEmptyServiceName()
    {
        var slice = YamlFixtures.ParseSingle<EndpointSlice>("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: orphan}
            addressType: IPv4
            """);

        Assert.Equal("", slice.ServiceName);
        Assert.False(slice.Ports.IsDefault);
        Assert.False(slice.Endpoints.IsDefault);
        Assert.Empty(slice.Endpoints);
    }
}
