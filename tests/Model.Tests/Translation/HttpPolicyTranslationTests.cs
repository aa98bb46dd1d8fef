using Envoy.Config.Route.V3;
using Envoy.Type.V3;
using Mesh.Model.Config;
using Mesh.Model.Tests.Config;
using Mesh.Model.Translation;
using CorsFilter = Envoy.Extensions.Filters.Http.Cors.V3;
using FaultFilter = Envoy.Extensions.Filters.Http.Fault.V3;

namespace Mesh.Model.Tests.Translation;

/// <summary>
/// Issue 15: every VirtualService <c>http</c> policy becomes the Envoy route field Istio sets for it,
/// on sidecars (the shared virtual host) and, where gRPC applies it, on proxyless routes.
/// </summary>
public sealed class HttpPolicyTranslationTests
{
    private static VirtualService Vs(string http) => YamlFixtures.ParseSingle<VirtualService>($"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: details, namespace: bookinfo{"}"}
        spec:
          hosts: [details]
          http:
        {http}
        """);

    private static ServiceTranslationInput With(VirtualService vs) => Bookinfo.DetailsInput() with { VirtualServices = [vs] };

    private static List<Route> Sidecar(VirtualService vs) =>
        [.. VirtualHost.Parser.ParseFrom(RouteBuilder.BuildVirtualHosts(With(vs)).Single().SameNamespace.Span).Routes];

    private static List<Route> Proxyless(VirtualService vs) =>
        [.. RouteConfiguration.Parser.ParseFrom(RouteBuilder.BuildProxylessRoutes(With(vs)).Single().Body.Span).VirtualHosts.Single().Routes];

    private static FaultFilter.HTTPFault Fault(Route route) => route.TypedPerFilterConfig[EnvoyFilters.FaultName].Unpack<FaultFilter.HTTPFault>();

    private static FractionalPercent PerMillion(uint numerator) => new() { Numerator = numerator, Denominator = FractionalPercent.Types.DenominatorType.Million };

    [Fact]
    public void Fault_AbortAndDelay_BecomeTheFaultFiltersPerRouteConfig_OnSidecarsAndProxyless()
    {
        var vs = Vs("""
              - fault:
                  abort: {grpcStatus: ABORTED, percentage: {value: 50}}
                  delay: {fixedDelay: 400ms, percentage: {value: 12.5}}
                route: [{destination: {host: details}}]
            """);

        foreach (var route in new[] { Sidecar(vs).Single(), Proxyless(vs).Single() })
        {
            var fault = Fault(route);
            Assert.Equal(10u, fault.Abort.GrpcStatus);
            Assert.Equal(PerMillion(500_000), fault.Abort.Percentage);
            Assert.Equal(TimeSpan.FromMilliseconds(400), fault.Delay.FixedDelay.ToTimeSpan());
            Assert.Equal(PerMillion(125_000), fault.Delay.Percentage);
        }
    }

    [Fact]
    public void Fault_WithoutPercentage_InjectsIntoNoRequest_AndSaysSoExplicitly()
    {
        // Istio: an unset percentage delays or aborts nothing; grpc-js NACKs a fault without one.
        var fault = Fault(Sidecar(Vs("""
              - fault: {abort: {httpStatus: 503}, delay: {fixedDelay: 1s}}
                route: [{destination: {host: details}}]
            """)).Single());

        Assert.Equal(503u, fault.Abort.HttpStatus);
        Assert.Equal(PerMillion(0), fault.Abort.Percentage);
        Assert.Equal(PerMillion(0), fault.Delay.Percentage);
    }

    [Fact]
    public void Retries_UnsetIsIstiosDefault_ZeroAttemptsIsNone_CodesInRetryOnBecomeRetriableStatusCodes()
    {
        var routes = Sidecar(Vs("""
              - match: [{uri: {prefix: /default}}]
                route: [{destination: {host: details}}]
              - match: [{uri: {prefix: /off}}]
                retries: {attempts: 0}
                route: [{destination: {host: details}}]
              - retries: {attempts: 4, perTryTimeout: 2s, retryOn: "5xx,503,unavailable", retryRemoteLocalities: true}
                route: [{destination: {host: details}}]
            """));

        var byDefault = routes[0].Route_.RetryPolicy;
        Assert.Equal((2u, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"), (byDefault.NumRetries, byDefault.RetryOn));
        Assert.Empty(byDefault.RetriableStatusCodes);
        Assert.Equal("envoy.retry_host_predicates.previous_hosts", byDefault.RetryHostPredicate.Single().Name);
        Assert.Equal(5, byDefault.HostSelectionRetryMaxAttempts);
        Assert.Null(routes[1].Route_.RetryPolicy);
        var given = routes[2].Route_.RetryPolicy;
        Assert.Equal((4u, "5xx,unavailable,retriable-status-codes"), (given.NumRetries, given.RetryOn));
        Assert.Equal([503u], given.RetriableStatusCodes);
        Assert.Equal(TimeSpan.FromSeconds(2), given.PerTryTimeout.ToTimeSpan());
        Assert.Equal("envoy.retry_priorities.previous_priorities", given.RetryPriority.Name);
    }

    [Fact]
    public void Retries_MeshDefaultOfZeroAttempts_SendsNoDefaultPolicy_ButKeepsAVirtualServicesOwn()
    {
        var vs = Vs("""
              - match: [{uri: {prefix: /own}}]
                retries: {attempts: 3}
                route: [{destination: {host: details}}]
              - route: [{destination: {host: details}}]
            """);
        var input = With(vs) with { Settings = Bookinfo.Settings with { DefaultRetryAttempts = 0 } };

        var routes = VirtualHost.Parser.ParseFrom(RouteBuilder.BuildVirtualHosts(input).Single().SameNamespace.Span).Routes;
        Assert.Equal(3u, routes[0].Route_.RetryPolicy.NumRetries);
        Assert.Null(routes[1].Route_.RetryPolicy);
        var noVs = Bookinfo.DetailsInput() with { Settings = Bookinfo.Settings with { DefaultRetryAttempts = 0 } };
        Assert.Null(VirtualHost.Parser.ParseFrom(RouteBuilder.BuildVirtualHosts(noVs).Single().SameNamespace.Span).Routes.Single().Route_.RetryPolicy);
    }

    [Fact]
    public void Retries_Proxyless_KeepOnlyWhatGrpcApplies()
    {
        var routes = Proxyless(Vs("""
              - match: [{uri: {prefix: /http-only}}]
                retries: {attempts: 3, retryOn: "5xx,connect-failure"}
                route: [{destination: {host: details}}]
              - retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,unavailable,deadline-exceeded"}
                route: [{destination: {host: details}}]
            """));

        Assert.Null(routes[0].Route_.RetryPolicy); // nothing gRPC retries on (A44): no policy rather than one it ignores
        var grpc = routes[1].Route_.RetryPolicy;
        Assert.Equal((3u, "unavailable,deadline-exceeded"), (grpc.NumRetries, grpc.RetryOn));
        Assert.Null(grpc.PerTryTimeout);
        Assert.Empty(grpc.RetryHostPredicate);
    }

    [Fact]
    public void Weights_SplitInProportion_ScaledTo100ForEveryClient_UnsetAmongSeveralIsZero_OneDestinationTakesAll()
    {
        var vs = Vs("""
              - match: [{uri: {prefix: /a}}]
                route: [{destination: {host: details, subset: v1}, weight: 70}, {destination: {host: details, subset: v2}, weight: 20}]
              - match: [{uri: {prefix: /b}}]
                route: [{destination: {host: details, subset: v1}, weight: 1}, {destination: {host: details, subset: v2}, weight: 2}, {destination: {host: details, subset: v3}}]
              - route: [{destination: {host: details, subset: v1}, weight: 0}]
            """);

        foreach (var routes in new[] { Sidecar(vs), Proxyless(vs) })
        {
            // 70:20 → 78/22 (largest remainder), 1:2:unset → 33/67 (C-core 1.51 NACKs a sum other than 100).
            Assert.Equal([78u, 22u], routes[0].Route_.WeightedClusters.Clusters.Select(c => c.Weight ?? 0));
            Assert.Equal([33u, 67u], routes[1].Route_.WeightedClusters.Clusters.Select(c => c.Weight ?? 0));
            Assert.Equal("outbound|9080|v1|details.bookinfo.svc.cluster.local", routes[2].Route_.Cluster);
        }
    }

    [Fact]
    public void Headers_SetAddRemove_OnRouteAndWeightedDestination_AuthorityBecomesHostRewrite()
    {
        var route = Sidecar(Vs("""
              - headers:
                  request: {set: {x-a: "1", ":authority": internal.example}, add: {x-b: "2"}, remove: [x-c]}
                  response: {set: {x-d: "3"}, remove: [x-e]}
                route:
                - destination: {host: details, subset: v1}
                  weight: 60
                  headers: {request: {add: {x-v: one}}}
                - {destination: {host: details, subset: v2}, weight: 40}
            """)).Single();

        Assert.Equal(
            [("x-a", "1", "OverwriteIfExistsOrAdd"), ("x-b", "2", "AppendIfExistsOrAdd")],
            route.RequestHeadersToAdd.Select(h => (h.Header.Key, h.Header.Value, h.AppendAction.ToString())));
        Assert.Equal(["x-c"], route.RequestHeadersToRemove);
        Assert.Equal(["x-d"], route.ResponseHeadersToAdd.Select(h => h.Header.Key));
        Assert.Equal(["x-e"], route.ResponseHeadersToRemove);
        Assert.Equal("internal.example", route.Route_.HostRewriteLiteral);
        Assert.Equal(["x-v"], route.Route_.WeightedClusters.Clusters[0].RequestHeadersToAdd.Select(h => h.Header.Key));
        Assert.Empty(route.Route_.WeightedClusters.Clusters[1].RequestHeadersToAdd);
    }

    [Fact]
    public void RewriteRedirectDirectResponse_AsIstioWritesThem()
    {
        var routes = Sidecar(Vs("""
              - match: [{uri: {prefix: /old}}]
                rewrite: {uri: /new, authority: details.internal}
                route: [{destination: {host: details}}]
              - match: [{uri: {prefix: /re}}]
                rewrite: {uriRegexRewrite: {match: "^/re/(.*)$", rewrite: "/\\1"}}
                route: [{destination: {host: details}}]
              - match: [{uri: {exact: /moved}}]
                redirect: {uri: /here, authority: other.example, scheme: https, derivePort: FROM_REQUEST_PORT, redirectCode: 302}
              - match: [{uri: {exact: /teapot}}]
                directResponse: {status: 418, body: {string: "short and stout"}}
            """));

        Assert.Equal(("/new", "details.internal"), (routes[0].Route_.PrefixRewrite, routes[0].Route_.HostRewriteLiteral));
        Assert.Equal(("^/re/(.*)$", "/\\1"), (routes[1].Route_.RegexRewrite.Pattern.Regex, routes[1].Route_.RegexRewrite.Substitution));
        var redirect = routes[2].Redirect;
        Assert.Equal(("/here", "other.example", "https", 9080u, RedirectAction.Types.RedirectResponseCode.Found),
            (redirect.PathRedirect, redirect.HostRedirect, redirect.SchemeRedirect, redirect.PortRedirect, redirect.ResponseCode));
        Assert.Equal((418u, "short and stout"), (routes[3].DirectResponse.Status, routes[3].DirectResponse.Body.InlineString));
    }

    [Fact]
    public void Mirrors_UnsetPercentageIsAll_ZeroIsNone_FractionsPerMillion()
    {
        var routes = Sidecar(Vs("""
              - match: [{uri: {prefix: /all}}]
                mirror: {host: ratings}
                route: [{destination: {host: details}}]
              - match: [{uri: {prefix: /none}}]
                mirror: {host: ratings}
                mirrorPercentage: {value: 0}
                route: [{destination: {host: details}}]
              - mirrors:
                - {destination: {host: ratings}, percentage: {value: 25.5}}
                - {destination: {host: reviews, subset: v2}}
                route: [{destination: {host: details}}]
            """));

        Assert.Equal(PerMillion(1_000_000), routes[0].Route_.RequestMirrorPolicies.Single().RuntimeFraction.DefaultValue);
        Assert.Empty(routes[1].Route_.RequestMirrorPolicies);
        Assert.Equal(
            [("outbound|9080||ratings.bookinfo.svc.cluster.local", 255_000u), ("outbound|9080|v2|reviews.bookinfo.svc.cluster.local", 1_000_000u)],
            routes[2].Route_.RequestMirrorPolicies.Select(m => (m.Cluster, m.RuntimeFraction.DefaultValue.Numerator)));
    }

    [Fact]
    public void Matches_MethodSchemeAuthorityQueryWithoutHeadersIgnoreCase()
    {
        var match = Sidecar(Vs("""
              - match:
                - uri: {prefix: /API}
                  ignoreUriCase: true
                  method: {exact: POST}
                  scheme: {exact: https}
                  authority: {prefix: details}
                  queryParams: {debug: {exact: "1"}}
                  withoutHeaders: {x-canary: {exact: "true"}}
                route: [{destination: {host: details}}]
            """)).Single().Match;

        Assert.False(match.CaseSensitive);
        Assert.Equal(
            [(":scheme", "https", false), (":method", "POST", false), (":authority", "details", false), ("x-canary", "true", true)],
            match.Headers.Select(h => (h.Name, h.StringMatch.Exact.Length > 0 ? h.StringMatch.Exact : h.StringMatch.Prefix, h.InvertMatch)));
        Assert.Equal(("debug", "1"), (match.QueryParameters.Single().Name, match.QueryParameters.Single().StringMatch.Exact));
    }

    [Fact]
    public void Cors_IsTheCorsFiltersPerRouteConfig_OnSidecarsOnly()
    {
        var vs = Vs("""
              - corsPolicy:
                  allowOrigins: [{exact: "https://a.example"}, {regex: "https://.*\\.b\\.example"}]
                  allowMethods: [GET, POST]
                  allowHeaders: [x-token]
                  maxAge: 24h
                  allowCredentials: true
                route: [{destination: {host: details}}]
            """);

        var cors = Sidecar(vs).Single().TypedPerFilterConfig[EnvoyFilters.CorsName].Unpack<CorsFilter.CorsPolicy>();
        Assert.Equal(("GET,POST", "x-token", "86400", true), (cors.AllowMethods, cors.AllowHeaders, cors.MaxAge, cors.AllowCredentials));
        Assert.Equal(["https://a.example", ""], cors.AllowOriginStringMatch.Select(m => m.Exact));
        Assert.False(Proxyless(vs).Single().TypedPerFilterConfig.ContainsKey(EnvoyFilters.CorsName)); // gRPC NACKs unknown per-filter types
    }

    [Fact]
    public void Proxyless_LeavesOutRedirectsAndHeaderEdits_AndTheObjectSaysSo()
    {
        var vs = Vs("""
              - match: [{uri: {prefix: /moved}}]
                redirect: {uri: /here}
              - headers: {request: {set: {x-a: "1"}}}
                rewrite: {uri: /v2}
                route: [{destination: {host: details}}]
            """);

        var route = Proxyless(vs).Single(); // the redirect route is not there: grpc-js NACKs it, C-core fails its RPCs
        Assert.Empty(route.RequestHeadersToAdd);
        Assert.Equal("", route.Route_.PrefixRewrite);
        Assert.Equal(2, Sidecar(vs).Count);
        var warnings = ConfigWarnings.Of(vs, YamlFixtures.Source);
        Assert.Equal(["spec.http[0].redirect", "spec.http[1].headers", "spec.http[1].rewrite"], warnings.Select(w => w.Field));
        Assert.All(warnings, w => Assert.Equal("proxyless", ConfigWarnings.ClientsOf(w)));
    }

    /// <summary>Istio: a header match that sets nothing, or the regex <c>*</c>, is present_match; withoutHeaders inverts it, and an inverted value match also takes requests without the header.</summary>
    [Fact]
    public void HeaderPresence_EmptyOrStarIsPresentMatch_InvertedValueMatchTreatsMissingAsEmpty()
    {
        var vs = Vs("""
              - match: [{headers: {x-user: {}}, withoutHeaders: {x-debug: {regex: "*"}, x-tier: {exact: free}}}]
                route: [{destination: {host: details}}]
            """);

        var headers = Sidecar(vs)[0].Match.Headers.ToDictionary(h => h.Name);
        Assert.Equal((true, false, false), (headers["x-user"].PresentMatch, headers["x-user"].InvertMatch, headers["x-user"].TreatMissingHeaderAsEmpty));
        Assert.Equal((true, true, false), (headers["x-debug"].PresentMatch, headers["x-debug"].InvertMatch, headers["x-debug"].TreatMissingHeaderAsEmpty));
        Assert.Equal(("free", true, true), (headers["x-tier"].StringMatch.Exact, headers["x-tier"].InvertMatch, headers["x-tier"].TreatMissingHeaderAsEmpty));
        Assert.True(Proxyless(vs)[0].Match.Headers.Single(h => h.Name == "x-user").PresentMatch); // in gRFC A28's fields
    }
}
