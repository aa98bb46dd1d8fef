using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Model.Config;
using Mesh.Model.Tests.Config;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>
/// Issue 15: Gateway servers with TLS on a router, as Istio writes them — a filter chain per HTTPS
/// server chosen by SNI with its DownstreamTlsContext and its own routes, <c>httpsRedirect</c> on
/// plain HTTP, several servers on one port — and what is not translated yet, reported.
/// </summary>
[Trait("Category", "BVT")]
public sealed class GatewayTlsTranslationTests
{
    /// <summary>A Gateway whose servers are <paramref name="servers"/>, one flow mapping per line.</summary>
    private static Gateway Gw(string servers) => YamlFixtures.ParseSingle<Gateway>(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: bookinfo}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n"
        + string.Concat(servers.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => "  - " + l.TrimStart('[', ',', ' ').TrimEnd(']', ',') + "\n")));

    private static ScopeResources Build(Gateway gateway, params string[] hosts)
    {
        var view = Bookinfo.IngressGateway();
        var vs = view.VirtualServices[0] with { Hosts = [.. hosts], Gateways = ["edge"] };
        return ListenerBuilder.BuildRouter(view with { Gateways = [gateway], VirtualServices = [vs] });
    }

    private static Listener ListenerOf(ScopeResources router, int port) =>
        Listener.Parser.ParseFrom(router.Listeners.Single(l => l.Name == $"0.0.0.0_{port}").Body.Span);

    private static RouteConfiguration RouteOf(ScopeResources router, string name) =>
        RouteConfiguration.Parser.ParseFrom(router.Routes.Single(r => r.Name == name).Body.Span);

    private static DownstreamTlsContext Tls(FilterChain chain) => chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>();

    [Fact]
    public void HttpsServers_OneChainEachBySni_WithTheirCertificates_AndOwnRoutes()
    {
        var gateway = Gw("""
            [{port: {number: 443, name: https-a, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: a-cert}},
             {port: {number: 443, name: https-b, protocol: HTTPS}, hosts: ["bookinfo/b.example.com"], tls: {mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem, minProtocolVersion: TLSV1_3}}]
            """);

        var router = Build(gateway, "a.example.com", "b.example.com");

        var listener = ListenerOf(router, 443);
        Assert.Equal(["envoy.filters.listener.tls_inspector"], listener.ListenerFilters.Select(f => f.Name));
        Assert.Equal([["a.example.com"], ["b.example.com"]], listener.FilterChains.Select(c => c.FilterChainMatch.ServerNames.ToArray()));
        Assert.All(listener.FilterChains, c => Assert.Equal("tls", c.FilterChainMatch.TransportProtocol));

        var a = Tls(listener.FilterChains[0]);
        Assert.Equal("kubernetes://a-cert", a.CommonTlsContext.TlsCertificateSdsSecretConfigs.Single().Name);
        Assert.NotNull(a.CommonTlsContext.TlsCertificateSdsSecretConfigs.Single().SdsConfig.Ads); // served by the control plane
        Assert.False(a.RequireClientCertificate);
        Assert.Equal(["h2", "http/1.1"], a.CommonTlsContext.AlpnProtocols);

        var b = Tls(listener.FilterChains[1]);
        Assert.Equal("file-cert:/c.pem~/k.pem", b.CommonTlsContext.TlsCertificateSdsSecretConfigs.Single().Name);
        Assert.Equal("file-root:/ca.pem", b.CommonTlsContext.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
        Assert.True(b.RequireClientCertificate);
        Assert.Equal(TlsParameters.Types.TlsProtocol.Tlsv13, b.CommonTlsContext.TlsParams.TlsMinimumProtocolVersion);

        // Each server routes only the hosts it admits, under Istio's route name.
        Assert.Equal(["a.example.com:443"], RouteOf(router, "https.443.https-a.edge.bookinfo").VirtualHosts.Select(v => v.Name));
        Assert.Equal(["b.example.com:443"], RouteOf(router, "https.443.https-b.edge.bookinfo").VirtualHosts.Select(v => v.Name));
        Assert.Contains(ConfigWarnings.Of(gateway, "test.yaml"), w => w.Field == "spec.servers[0].tls.credentialName" && w.Reason == ConfigWarnings.CredentialNotServed);
    }

    [Fact]
    public void HttpsRedirect_TheRedirectingServersHostsRequireTls_OthersOnThePortDoNot()
    {
        var gateway = Gw("""
            [{port: {number: 80, name: http, protocol: HTTP}, hosts: [secure.example.com], tls: {httpsRedirect: true}},
             {port: {number: 80, name: http-open, protocol: HTTP}, hosts: [open.example.com]},
             {port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: ISTIO_MUTUAL}}]
            """);

        var router = Build(gateway, "secure.example.com", "open.example.com");

        var http = RouteOf(router, "http.80").VirtualHosts.ToDictionary(v => v.Name, v => v.RequireTls);
        Assert.Equal(VirtualHost.Types.TlsRequirementType.All, http["secure.example.com:80"]);
        Assert.Equal(VirtualHost.Types.TlsRequirementType.None, http["open.example.com:80"]);
        Assert.Null(ListenerOf(router, 80).FilterChains.Single().TransportSocket);

        var https = ListenerOf(router, 443).FilterChains.Single();
        Assert.Empty(https.FilterChainMatch.ServerNames); // a "*" host: any name
        var mesh = Tls(https);
        Assert.Equal(("default", "ROOTCA", true), (mesh.CommonTlsContext.TlsCertificateSdsSecretConfigs.Single().Name, mesh.CommonTlsContext.CombinedValidationContext.ValidationContextSdsSecretConfig.Name, mesh.RequireClientCertificate));
    }

    [Fact]
    public void PassthroughAndTcpServers_AreNotBuiltAsHttp_AndAreReported()
    {
        var gateway = Gw("""
            [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.example.com], tls: {mode: PASSTHROUGH}},
             {port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}]
            """);

        var router = Build(gateway, "a.example.com");

        Assert.Empty(router.Listeners);
        Assert.Equal(["spec.servers[0].tls.mode", "spec.servers[1].port.protocol"], gateway.Unsupported.Order(StringComparer.Ordinal));
    }
}
