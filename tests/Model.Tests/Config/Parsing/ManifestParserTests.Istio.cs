using Mesh.Model.Config;

namespace Mesh.Model.Tests.Config.Parsing;

public sealed partial class ManifestParserTests
{
    [Fact]
    public void Parse_VirtualService_ReadsMatchesRoutesTimeoutsAndRetries()
    {
        var vs = YamlFixtures.ParseSingle<VirtualService>("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews, reviews.bookinfo.svc.cluster.local]
              gateways: [mesh, istio-system/ingress]
              exportTo: ["."]
              http:
              - name: jason
                match:
                - name: by-user
                  uri: {prefix: /reviews}
                  headers:
                    end-user: {exact: jason}
                    x-canary: {regex: "^(yes|true)$"}
                  port: 9080
                  gateways: [mesh]
                route:
                - destination: {host: reviews, subset: v2, port: {number: 9080}}
              - route:
                - destination: {host: reviews, subset: v1}
                  weight: 80
                - destination: {host: reviews, subset: v3}
                  weight: 20
                timeout: 1.5s
                retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"}
              tcp:
              - match: [{port: 3306}]
                route:
                - destination: {host: mysql, port: {number: 3306}}
            """);

        Assert.Equal(["reviews", "reviews.bookinfo.svc.cluster.local"], vs.Hosts.ToArray());
        Assert.Equal(["mesh", "istio-system/ingress"], vs.Gateways.ToArray());
        Assert.Empty(vs.ExportTo); // not applied to VirtualServices yet: reported, not read
        Assert.Contains("spec.exportTo", vs.Unsupported);
        Assert.True(vs.AppliesToMesh);
        Assert.Equal(2, vs.Http.Length);

        var jason = vs.Http[0];
        Assert.Equal("jason", jason.Name);
        var match = Assert.Single(jason.Match);
        Assert.Equal("by-user", match.Name);
        Assert.Equal(new StringMatch(StringMatchKind.Prefix, "/reviews"), match.Uri);
        Assert.Equal(["end-user", "x-canary"], match.Headers.Keys);
        Assert.Equal(new StringMatch(StringMatchKind.Exact, "jason"), match.Headers["end-user"]);
        Assert.Equal(new StringMatch(StringMatchKind.Regex, "^(yes|true)$"), match.Headers["x-canary"]);
        Assert.Equal(9080, match.Port);
        Assert.Equal(["mesh"], match.Gateways.ToArray());
        Assert.Equal(new RouteDestination(new Destination("reviews", "v2", 9080), null), Assert.Single(jason.Route));
        Assert.Null(jason.Timeout);
        Assert.Null(jason.Retries);

        var split = vs.Http[1];
        Assert.Null(split.Name);
        Assert.Empty(split.Match);
        Assert.Equal(
            [new RouteDestination(new Destination("reviews", "v1", null), 80), new RouteDestination(new Destination("reviews", "v3", null), 20)],
            split.Route.ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(1500), split.Timeout);
        Assert.Equal(new HttpRetry(3, TimeSpan.FromMilliseconds(500), "5xx,connect-failure"), split.Retries);

        var tcp = Assert.Single(vs.Tcp);
        Assert.Equal(3306, tcp.Port);
        Assert.Equal(new RouteDestination(new Destination("mysql", null, 3306), null), Assert.Single(tcp.Route));
    }

    [Fact]
    public void Parse_DestinationRule_ReadsSubsetsAndLoadBalancers()
    {
        var rule = YamlFixtures.ParseSingle<DestinationRule>("""
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              host: reviews.bookinfo.svc.cluster.local
              exportTo: ["*"]
              trafficPolicy:
                loadBalancer: {simple: LEAST_CONN}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2, track: canary}
                trafficPolicy:
                  loadBalancer: {simple: RANDOM}
            """);

        Assert.Equal("reviews.bookinfo.svc.cluster.local", rule.Host);
        Assert.Empty(rule.ExportTo); // not applied to DestinationRules yet: reported, not read
        Assert.Contains("spec.exportTo", rule.Unsupported);
        Assert.Equal(new TrafficPolicy(LoadBalancerKind.LeastRequest), rule.TrafficPolicy);
        Assert.Equal(2, rule.Subsets.Length);
        Assert.Equal("v1", rule.Subsets[0].Name);
        Assert.Equal("v1", Assert.Single(rule.Subsets[0].Labels).Value);
        Assert.Null(rule.Subsets[0].TrafficPolicy);
        Assert.Equal(["track", "version"], rule.Subsets[1].Labels.Keys);
        Assert.Equal(new TrafficPolicy(LoadBalancerKind.Random), rule.Subsets[1].TrafficPolicy);
    }

    [Fact]
    public void Parse_DestinationRuleWithUnknownLoadBalancer_IsRejected()
    {
        var result = Mesh.Model.Config.Parsing.ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {simple: FASTEST}}
            """, "dr.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.trafficPolicy.loadBalancer.simple", error.Field);
        Assert.StartsWith("unknown load balancer 'FASTEST'", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ServiceEntry_ReadsPortsEndpointsAndSelector()
    {
        var entry = YamlFixtures.ParseSingle<ServiceEntry>("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-db, namespace: data}
            spec:
              hosts: [db.example.com]
              addresses: [192.168.10.0/24]
              location: MESH_INTERNAL
              resolution: STATIC
              exportTo: [".", "web"]
              ports:
              - {number: 5432, protocol: TCP, name: tcp-postgres, targetPort: 15432}
              endpoints:
              - address: 192.168.10.5
                ports: {tcp-postgres: 25432}
                labels: {role: primary}
                network: net-1
                locality: us-east1/us-east1-b
                weight: 3
                serviceAccount: db
            """);

        Assert.Equal(["db.example.com"], entry.Hosts.ToArray());
        Assert.Equal(["192.168.10.0/24"], entry.Addresses.ToArray());
        Assert.Equal(("MESH_INTERNAL", "STATIC"), (entry.Location, entry.Resolution));
        Assert.Equal([".", "web"], entry.ExportTo.ToArray());
        Assert.Equal(new ServiceEntryPort(5432, "TCP", "tcp-postgres", 15432), Assert.Single(entry.Ports));
        var endpoint = Assert.Single(entry.Endpoints);
        Assert.Equal("192.168.10.5", endpoint.Address);
        Assert.Equal(25432, endpoint.Ports["tcp-postgres"]);
        Assert.Equal("primary", endpoint.Labels["role"]);
        Assert.Equal(("net-1", "us-east1/us-east1-b", 3, "db"), (endpoint.Network, endpoint.Locality, endpoint.Weight, endpoint.ServiceAccount));
        Assert.Null(entry.WorkloadSelector);
    }

    [Fact]
    public void Parse_ServiceEntryDefaults_AreMeshExternalAndNone()
    {
        var entry = YamlFixtures.ParseSingle<ServiceEntry>("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: vms}
            spec:
              hosts: [vm.internal]
              ports: [{number: 80, protocol: HTTP, name: http}]
              workloadSelector:
                labels: {app: vm}
            """);

        Assert.Equal(("MESH_EXTERNAL", "NONE"), (entry.Location, entry.Resolution));
        Assert.Equal("vm", entry.WorkloadSelector!.Labels["app"]);
        Assert.Empty(entry.Endpoints);
        Assert.False(entry.Addresses.IsDefault);
        Assert.False(entry.ExportTo.IsDefault);
    }

    [Fact]
    public void Parse_WorkloadEntry_ReadsSpec()
    {
        var entry = YamlFixtures.ParseSingle<WorkloadEntry>("""
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: details-vm, namespace: bookinfo}
            spec:
              address: 10.20.0.7
              ports: {http: 9080}
              labels: {app: details, version: vm}
              serviceAccount: bookinfo-details
            """);

        Assert.Equal(
            new WorkloadEntrySpec("10.20.0.7", entry.Spec.Ports, entry.Spec.Labels, null, null, null, "bookinfo-details"),
            entry.Spec);
        Assert.Equal(9080, Assert.Single(entry.Spec.Ports).Value);
        Assert.Equal(["app", "version"], entry.Spec.Labels.Keys);
    }

    [Fact]
    public void Parse_Sidecar_ReadsSelectorAndEgress()
    {
        var sidecar = YamlFixtures.ParseSingle<Sidecar>("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: ratings, namespace: bookinfo}
            spec:
              workloadSelector:
                labels: {app: ratings}
              egress:
              - port: {number: 3306, protocol: MYSQL, name: mysql}
                hosts: ["db/mysql.db.svc.cluster.local"]
              - hosts: ["./*", "istio-system/*"]
            """);

        Assert.Equal("ratings", sidecar.WorkloadSelector!.Labels["app"]);
        Assert.Equal(2, sidecar.Egress.Length);
        Assert.Equal(3306, sidecar.Egress[0].Port); // validated, but not applied yet: reported
        Assert.Contains("spec.egress[0].port", sidecar.Unsupported);
        Assert.Equal(["db/mysql.db.svc.cluster.local"], sidecar.Egress[0].Hosts.ToArray());
        Assert.Null(sidecar.Egress[1].Port);
        Assert.Equal(["./*", "istio-system/*"], sidecar.Egress[1].Hosts.ToArray());
    }

    [Theory]
    [InlineData("REGISTRY_ONLY", false)]
    [InlineData("ALLOW_ANY", true)]
    public void Parse_Sidecar_ReadsOutboundTrafficPolicyMode(string mode, bool allowAny)
    {
        var sidecar = YamlFixtures.ParseSingle<Sidecar>($$"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: bookinfo}
            spec:
              egress: [{hosts: ["./*"]}]
              outboundTrafficPolicy: {mode: {{mode}}}
            """);

        Assert.Equal(allowAny, sidecar.AllowAnyOutbound);
        Assert.Empty(sidecar.Unsupported);
    }

    [Fact]
    public void Parse_Sidecar_UnknownOutboundMode_IsAnErrorNamingTheField_AndEgressProxyIsReported()
    {
        var bad = Mesh.Model.Config.Parsing.ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: bookinfo}
            spec:
              outboundTrafficPolicy: {mode: OPEN}
            """, "test.yaml");
        var error = Assert.Single(bad.Errors);
        Assert.Equal(("spec.outboundTrafficPolicy.mode", "unknown mode 'OPEN', expected REGISTRY_ONLY or ALLOW_ANY"), (error.Field, error.Reason));

        var proxy = YamlFixtures.ParseSingle<Sidecar>("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: bookinfo}
            spec:
              outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: egress.istio-system.svc.cluster.local}}
            """);
        Assert.Equal(["spec.outboundTrafficPolicy.egressProxy"], proxy.Unsupported.ToArray());
    }

    [Fact]
    public void Parse_Gateway_ReadsSelectorAndServers()
    {
        var gateway = YamlFixtures.ParseSingle<Gateway>("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: bookinfo-gateway, namespace: bookinfo}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - name: web
                port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*", "bookinfo/reviews.example.com"]
            """);

        Assert.Equal("ingressgateway", gateway.Selector["istio"]);
        var server = Assert.Single(gateway.Servers);
        Assert.Equal("web", server.Name);
        Assert.Equal(new GatewayPort(8080, "HTTP", "http"), server.Port);
        Assert.Equal(["*", "bookinfo/reviews.example.com"], server.Hosts.ToArray());
    }

    [Fact]
    public void Parse_GatewayServerWithoutPort_IsRejected()
    {
        var result = Mesh.Model.Config.Parsing.ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - hosts: ["*"]
            """, "gw.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("spec.servers[0].port", "is required"), (error.Field, error.Reason));
    }
}
