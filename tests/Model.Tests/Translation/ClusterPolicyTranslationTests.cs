using Envoy.Config.Cluster.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Mesh.Model.Config;
using Mesh.Model.Tests.Config;
using Mesh.Model.Translation;
using Lb = Envoy.Extensions.LoadBalancingPolicies;

namespace Mesh.Model.Tests.Translation;

/// <summary>Issue 15: a DestinationRule's traffic policy on the outbound clusters, merged and written as Istio does.</summary>
public sealed class ClusterPolicyTranslationTests
{
    private static DestinationRule Dr(string spec) => YamlFixtures.ParseSingle<DestinationRule>($"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: details, namespace: bookinfo{"}"}
        spec:
          host: details
        {string.Join('\n', spec.Split('\n').Select(l => "  " + l))}
        """);

    private static Dictionary<string, Cluster> Clusters(DestinationRule rule) =>
        ClusterBuilder.BuildOutbound(Bookinfo.DetailsInput() with { DestinationRule = rule })
            .ToDictionary(c => c.Name, c => Cluster.Parser.ParseFrom(c.Body.Span));

    private static string Policies(Cluster cluster) =>
        cluster.LoadBalancingPolicy is null ? "" : string.Join(",", cluster.LoadBalancingPolicy.Policies.Select(p => p.TypedExtensionConfig.Name.Replace("envoy.load_balancing_policies.", "", StringComparison.Ordinal)));

    private const string Top = "outbound|9080||details.bookinfo.svc.cluster.local";
    private const string V1 = "outbound|9080|v1|details.bookinfo.svc.cluster.local";

    [Fact]
    public void NoRule_RoundRobin_UnlimitedCircuitBreakers_AsIstio()
    {
        var cluster = Clusters(null!)[Top];

        Assert.Equal((Cluster.Types.LbPolicy.RoundRobin, ""), (cluster.LbPolicy, Policies(cluster)));
        var thresholds = cluster.CircuitBreakers.Thresholds.Single();
        Assert.Equal([uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue], new uint?[] { thresholds.MaxConnections, thresholds.MaxPendingRequests, thresholds.MaxRequests, thresholds.MaxRetries });
        Assert.Null(cluster.OutlierDetection);
    }

    [Fact]
    public void ConsistentHash_RingHashForEnvoyAndNewerGrpc_RoundRobinLbPolicyForOldGrpc_HashPolicyOnTheRoutes()
    {
        var rule = Dr("""
            trafficPolicy:
              loadBalancer:
                consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 2048}}
            """);

        var cluster = Clusters(rule)[Top];
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy); // what C-core 1.51 reads: never RING_HASH
        Assert.Equal("ring_hash,round_robin", Policies(cluster));
        var ring = cluster.LoadBalancingPolicy.Policies[0].TypedExtensionConfig.TypedConfig.Unpack<Lb.RingHash.V3.RingHash>();
        // grpc-js NACKs the extension's default DEFAULT_HASH, and any ring size (it reads it as text): neither is sent, and the rule says so.
        Assert.Equal((null, Lb.RingHash.V3.RingHash.Types.HashFunction.XxHash), (ring.MinimumRingSize, ring.HashFunction));
        Assert.Contains(ConfigWarnings.Of(rule, "test.yaml"), w => w.Reason == ProxylessSupport.RingSizeNotApplied && ConfigWarnings.ClientsOf(w) == "all");

        var input = Bookinfo.DetailsInput() with { DestinationRule = rule };
        var sidecar = VirtualHost.Parser.ParseFrom(RouteBuilder.BuildVirtualHosts(input).Single().SameNamespace.Span).Routes.Single();
        var proxyless = RouteConfiguration.Parser.ParseFrom(RouteBuilder.BuildProxylessRoutes(input).Single().Body.Span).VirtualHosts.Single().Routes.Single();
        foreach (var route in new[] { sidecar, proxyless })
        {
            Assert.Equal("x-user", route.Route_.HashPolicy.Single().Header.HeaderName);
        }
        Assert.Empty(sidecar.Route_.RetryPolicy.RetryHostPredicate); // a retry stays on the hashed host
    }

    [Fact]
    public void SimpleAndMaglev_ListThePolicyThenRoundRobin_CookieHashIsNotForProxyless()
    {
        Assert.Equal("random,round_robin", Policies(Clusters(Dr("trafficPolicy: {loadBalancer: {simple: RANDOM}}"))[Top]));
        Assert.Equal("least_request,round_robin", Policies(Clusters(Dr("trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}"))[Top]));
        var maglev = Clusters(Dr("trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 60s}, maglev: {tableSize: 65537}}}}"));
        Assert.Equal("maglev,round_robin", Policies(maglev[Top]));

        var rule = Dr("trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: session, path: /, ttl: 60s}}}}");
        var input = Bookinfo.DetailsInput() with { DestinationRule = rule };
        var cookie = VirtualHost.Parser.ParseFrom(RouteBuilder.BuildVirtualHosts(input).Single().SameNamespace.Span).Routes.Single().Route_.HashPolicy.Single().Cookie;
        Assert.Equal(("session", "/", TimeSpan.FromSeconds(60)), (cookie.Name, cookie.Path, cookie.Ttl.ToTimeSpan()));
        Assert.Empty(RouteConfiguration.Parser.ParseFrom(RouteBuilder.BuildProxylessRoutes(input).Single().Body.Span).VirtualHosts.Single().Routes.Single().Route_.HashPolicy);
        Assert.Contains(ConfigWarnings.Of(rule, "test.yaml"), w => w.Field == "spec.trafficPolicy.loadBalancer.consistentHash" && w.Reason.Contains("only on a header", StringComparison.Ordinal));
    }

    [Fact]
    public void ConnectionPoolAndOutlierDetection_AreCircuitBreakersOptionsAndEjection()
    {
        var cluster = Clusters(Dr("""
            trafficPolicy:
              connectionPool:
                tcp: {maxConnections: 100, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 600s, interval: 75s}, maxConnectionDuration: 30m}
                http: {http1MaxPendingRequests: 10, http2MaxRequests: 50, maxRequestsPerConnection: 5, maxRetries: 2, idleTimeout: 90s}
              outlierDetection: {consecutive5xxErrors: 3, consecutiveGatewayErrors: 0, interval: 5s, baseEjectionTime: 1m, maxEjectionPercent: 50, minHealthPercent: 25}
            """))[Top];

        var t = cluster.CircuitBreakers.Thresholds.Single();
        Assert.Equal([100u, 10u, 50u, 2u], new uint?[] { t.MaxConnections, t.MaxPendingRequests, t.MaxRequests, t.MaxRetries });
        Assert.Equal(TimeSpan.FromMilliseconds(250), cluster.ConnectTimeout.ToTimeSpan());
        Assert.Equal((3u, 600u, 75u), (cluster.UpstreamConnectionOptions.TcpKeepalive.KeepaliveProbes, cluster.UpstreamConnectionOptions.TcpKeepalive.KeepaliveTime, cluster.UpstreamConnectionOptions.TcpKeepalive.KeepaliveInterval));
        var options = cluster.TypedExtensionProtocolOptions[EnvoyFilters.HttpProtocolOptionsKey].Unpack<HttpProtocolOptions>();
        Assert.Equal((TimeSpan.FromSeconds(90), 5u, TimeSpan.FromMinutes(30)),
            (options.CommonHttpProtocolOptions.IdleTimeout.ToTimeSpan(), options.CommonHttpProtocolOptions.MaxRequestsPerConnection, options.CommonHttpProtocolOptions.MaxConnectionDuration.ToTimeSpan()));
        Assert.NotNull(options.ExplicitHttpConfig.HttpProtocolOptions); // HTTP/1.1 port: explicit HTTP/1
        var o = cluster.OutlierDetection;
        Assert.Equal((3u, 100u, 0u, 0u, 0u), (o.Consecutive5Xx, o.EnforcingConsecutive5Xx, o.ConsecutiveGatewayFailure, o.EnforcingConsecutiveGatewayFailure, o.EnforcingSuccessRate));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), 50u), (o.Interval.ToTimeSpan(), o.BaseEjectionTime.ToTimeSpan(), o.MaxEjectionPercent));
        Assert.Equal(25, cluster.CommonLbConfig.HealthyPanicThreshold.Value);
    }

    [Fact]
    public void SubsetBlocksReplaceTheParentsBlocks_PortLevelSettingsReplaceTheWholePolicy()
    {
        var clusters = Clusters(Dr("""
            trafficPolicy:
              loadBalancer: {simple: RANDOM}
              connectionPool: {http: {http2MaxRequests: 7}}
              portLevelSettings:
              - port: {number: 9080}
                outlierDetection: {consecutive5xxErrors: 9}
            subsets:
            - name: v1
              labels: {version: v1}
              trafficPolicy:
                loadBalancer: {simple: LEAST_REQUEST}
            """));

        // Port 9080's entry replaces the whole top-level policy: no RANDOM, no pool, its outlier detection.
        Assert.Equal(("", uint.MaxValue, 9u), (Policies(clusters[Top]), clusters[Top].CircuitBreakers.Thresholds[0].MaxRequests, clusters[Top].OutlierDetection.Consecutive5Xx));
        // The subset's load balancer replaces the resolved parent's; the parent's other blocks stay.
        Assert.Equal(("least_request,round_robin", 9u), (Policies(clusters[V1]), clusters[V1].OutlierDetection.Consecutive5Xx));
    }

    [Fact]
    public void Warmup_IsSlowStartOnRoundRobin()
    {
        var cluster = Clusters(Dr("trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 45s, minimumPercent: 20, aggression: 2}}}"))[Top];

        var slow = cluster.LoadBalancingPolicy.Policies.Single().TypedExtensionConfig.TypedConfig.Unpack<Lb.RoundRobin.V3.RoundRobin>().SlowStartConfig;
        Assert.Equal((TimeSpan.FromSeconds(45), 20.0, 2.0), (slow.SlowStartWindow.ToTimeSpan(), slow.MinWeightPercent.Value, slow.Aggression.DefaultValue));
    }

    private static Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext? Tls(Cluster cluster) =>
        cluster.TransportSocket is null ? null : cluster.TransportSocket.TypedConfig.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext>();

    private static HttpProtocolOptions? ProtocolOptions(Cluster cluster) =>
        cluster.TypedExtensionProtocolOptions.TryGetValue("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", out var any) ? any.Unpack<HttpProtocolOptions>() : null;

    /// <summary>ISTIO_MUTUAL as Istio: the workload certificate and mesh root over SDS from the agent, SNI the cluster name, in-mesh ALPN, the SANs to match.</summary>
    [Fact]
    public void IstioMutual_SdsDefaultAndRootCa_SniIsTheClusterName_InMeshAlpn()
    {
        var tls = Tls(Clusters(Dr("trafficPolicy: {tls: {mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/bookinfo/sa/details]}}"))[Top])!;

        Assert.Equal(Top, tls.Sni);
        var common = tls.CommonTlsContext;
        Assert.Equal(["default"], common.TlsCertificateSdsSecretConfigs.Select(s => s.Name));
        Assert.Equal("sds-grpc", common.TlsCertificateSdsSecretConfigs[0].SdsConfig.ApiConfigSource.GrpcServices[0].EnvoyGrpc.ClusterName);
        Assert.Equal("ROOTCA", common.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
#pragma warning disable CS0612
        Assert.Equal(["spiffe://cluster.local/ns/bookinfo/sa/details"], common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.Select(m => m.Exact));
#pragma warning restore CS0612
        Assert.Equal(["istio-peer-exchange", "istio"], common.AlpnProtocols);
        Assert.Equal(Envoy.Extensions.TransportSockets.Tls.V3.TlsParameters.Types.TlsProtocol.Tlsv12, common.TlsParams.TlsMinimumProtocolVersion);
    }

    [Fact]
    public void Simple_WithCaAndSni_FileRoot_NoAutoSni_WithoutSni_AutoSniAndSanValidation()
    {
        var withSni = Clusters(Dr("trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/certs/ca.pem, sni: details.example.com}}"))[Top];
        var tls = Tls(withSni)!;
        Assert.Equal(("details.example.com", "file-root:/etc/certs/ca.pem"), (tls.Sni, tls.CommonTlsContext.CombinedValidationContext.ValidationContextSdsSecretConfig.Name));
        Assert.Empty(tls.CommonTlsContext.TlsCertificateSdsSecretConfigs);
        Assert.Null(ProtocolOptions(withSni)?.UpstreamHttpProtocolOptions);

        var auto = Clusters(Dr("trafficPolicy: {tls: {mode: SIMPLE}}"))[Top];
        Assert.Equal("file-root:system", Tls(auto)!.CommonTlsContext.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
        var upstream = ProtocolOptions(auto)!.UpstreamHttpProtocolOptions;
        Assert.Equal((true, true), (upstream.AutoSni, upstream.AutoSanValidation));
        Assert.NotNull(ProtocolOptions(auto)!.ExplicitHttpConfig.HttpProtocolOptions); // HTTP/1 port: the options still name the protocol
    }

    [Fact]
    public void Mutual_FileCertificate_InsecureSkipVerify_EmptyValidation_Http2Alpn()
    {
        var clusters = ClusterBuilder.BuildOutbound(Bookinfo.RatingsInput() with { DestinationRule = Dr("trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, insecureSkipVerify: true}}") with { Host = "ratings" } })
            .ToDictionary(c => c.Name, c => Cluster.Parser.ParseFrom(c.Body.Span));
        var grpc = Tls(clusters["outbound|9090||ratings.bookinfo.svc.cluster.local"])!;

        Assert.Equal(["file-cert:/c.pem~/k.pem"], grpc.CommonTlsContext.TlsCertificateSdsSecretConfigs.Select(s => s.Name));
        Assert.NotNull(grpc.CommonTlsContext.ValidationContext);
        Assert.Null(grpc.CommonTlsContext.CombinedValidationContext);
        Assert.Equal(["h2"], grpc.CommonTlsContext.AlpnProtocols);
        Assert.Empty(Tls(clusters["outbound|9080||ratings.bookinfo.svc.cluster.local"])!.CommonTlsContext.AlpnProtocols);
    }

    [Fact]
    public void Disable_OrCredentialName_NoTransportSocket_TheCredentialIsReported_SubsetTlsReplacesTheParents()
    {
        var rule = Dr("""
            trafficPolicy: {tls: {mode: SIMPLE, credentialName: details-secret}}
            subsets:
            - name: v1
              labels: {version: v1}
              trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
            """);
        var clusters = Clusters(rule);

        Assert.Null(clusters[Top].TransportSocket);
        Assert.Contains("spec.trafficPolicy.tls.credentialName", rule.Unsupported);
        Assert.Equal(V1, Tls(clusters[V1])!.Sni);
        Assert.Null(Clusters(Dr("trafficPolicy: {tls: {mode: DISABLE}}"))[Top].TransportSocket);
        // Proxyless clients never get it: reported for them.
        Assert.Contains(ConfigWarnings.Of(rule, "test.yaml"), w => w.Field == "spec.subsets[0].trafficPolicy.tls" && ConfigWarnings.ClientsOf(w) == "proxyless");
    }
}
