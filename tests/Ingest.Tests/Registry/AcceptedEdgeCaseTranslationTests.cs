using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Ingest.Registry;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Translation;
using Mesh.Model.Validation;
using Mesh.Testing;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// Objects Istio accepts but that serve little or nothing (a ServiceEntry with no ports, a port with no
/// protocol, a workload with no address) go the whole way the embedded default takes them, validation →
/// <see cref="RegistryCompiler"/> → every builder, and yield valid resources or none, never an exception.
/// </summary>
public sealed class AcceptedEdgeCaseTranslationTests
{
    private static readonly MeshSettings Settings = MeshSettings.Default;

    private const string Mesh = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: portless, namespace: apps}
        spec:
          hosts: [portless.example.com]
          addresses: [240.0.0.1]
          resolution: STATIC
          endpoints: [{address: 192.168.1.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: unset, namespace: apps}
        spec:
          hosts: [unset.example.com]
          addresses: [240.0.0.2]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 7000, name: legacy}]
          workloadSelector: {labels: {app: unset}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: unset-local, namespace: apps}
        spec: {address: 10.20.0.7, labels: {app: unset}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: unset-remote, namespace: apps}
        spec: {network: network-2, labels: {app: unset}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: remote, namespace: apps}
        spec:
          hosts: [remote.example.com]
          resolution: STATIC
          ports: [{number: 443, name: https, protocol: HTTPS}]
          endpoints: [{network: network-2}, {address: "unix:///var/run/remote.sock"}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: portless, namespace: apps}
        spec:
          hosts: [portless.example.com]
          http: [{route: [{destination: {host: portless.example.com}}]}]
        """;

    private sealed record Built(DesiredState State, ImmutableArray<XdsResource> Resources, ScopeResources Sidecar);

    private static Built Build()
    {
        var validated = ConfigValidator.Validate(ManifestParser.Parse(Mesh, "mesh.yaml"));
        Assert.True(validated.Errors.IsEmpty, string.Join("\n", validated.Errors));
        var state = RegistryCompiler.Compile(validated.Objects, Settings);
        var inputs = state.Services.Values.Select(s => s.ToTranslationInput(Settings)).ToList();
        var resources = inputs.SelectMany(i => ClusterBuilder.BuildOutbound(i)
            .Concat(EndpointBuilder.Build(i))
            .Concat(ListenerBuilder.BuildProxyless(i))
            .Concat(RouteBuilder.BuildProxylessRoutes(i)));
        var sidecar = ListenerBuilder.BuildSidecar(new ScopeView("apps", [.. inputs.Select(ScopeService.From)], [], Settings));
        return new Built(state, [.. resources.Concat(sidecar.Listeners).Concat(sidecar.Routes).Concat(sidecar.OwnClusters)], sidecar);
    }

    [Fact]
    public void ServiceEntryWithoutPorts_IsAHostWithNoResources()
    {
        var built = Build();

        var portless = built.State.Services["portless.example.com"];
        Assert.Empty(portless.Definition.Ports);
        var input = portless.ToTranslationInput(Settings);
        Assert.Empty(ClusterBuilder.BuildOutbound(input));
        Assert.Empty(EndpointBuilder.Build(input));
        Assert.Empty(ListenerBuilder.BuildProxyless(input));
        Assert.Empty(RouteBuilder.BuildProxylessRoutes(input));
        Assert.Empty(ScopeService.From(input).VirtualHosts);
        Assert.DoesNotContain(built.Resources, r => r.Name.Contains("portless", StringComparison.Ordinal) || r.Name.Contains("240.0.0.1", StringComparison.Ordinal));
        Assert.Empty(built.Sidecar.Diagnostics);
    }

    [Fact]
    public void PortWithoutProtocol_IsServedAsTcp()
    {
        var built = Build();

        var cluster = (Cluster)EnvoyJson.Parse(Assert.Single(built.Resources, r => r.TypeUrl == TypeUrls.Cluster && r.Name == "outbound|7000||unset.example.com"));
        Assert.Empty(cluster.TypedExtensionProtocolOptions);
        var listener = (Listener)EnvoyJson.Parse(Assert.Single(built.Resources, r => r.Name == "240.0.0.2_7000"));
        var proxy = Assert.Single(Assert.Single(listener.FilterChains).Filters).TypedConfig.Unpack<TcpProxy>();
        Assert.Equal("outbound|7000||unset.example.com", proxy.Cluster);
        Assert.DoesNotContain(built.Resources, r => r.TypeUrl == TypeUrls.Route && r.Name == "7000");
        // Proxyless gRPC clients get the same host:port listener they get for any other non-HTTP port.
        Assert.Single(built.Resources, r => r.TypeUrl == TypeUrls.Listener && r.Name == "unset.example.com:7000");
    }

    [Fact]
    public void EndpointsWithoutAnIpAddress_NeverReachAnAssignment()
    {
        var built = Build();

        var addresses = built.Resources.Where(r => r.TypeUrl == TypeUrls.Endpoint)
            .Select(r => (ClusterLoadAssignment)EnvoyJson.Parse(r))
            .ToDictionary(a => a.ClusterName, a => a.Endpoints.SelectMany(g => g.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).ToList());
        Assert.Equal(["10.20.0.7"], addresses["outbound|7000||unset.example.com"]);
        Assert.Empty(addresses["outbound|443||remote.example.com"]);
        Assert.Equal(
            [
                ("ServiceEntry", "remote", "spec.endpoints[0].address"),
                ("ServiceEntry", "remote", "spec.endpoints[1].address"),
                ("WorkloadEntry", "unset-remote", "spec.address"),
            ],
            built.State.Diagnostics.Select(d => (d.Kind, d.Name, d.Field)).Order());
    }

    [Fact]
    public void Resources_AreNamedAndDeterministic()
    {
        var first = Build().Resources;
        var second = Build().Resources;

        Assert.All(first, r => Assert.False(string.IsNullOrEmpty(r.Name)));
        Assert.Equal(first.Select(r => (r.TypeUrl, r.Name, r.Version)), second.Select(r => (r.TypeUrl, r.Name, r.Version)));
    }
}
