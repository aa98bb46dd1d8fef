using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Validation;

public sealed class VirtualServiceValidatorTests
{
    private static string Vs(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: reviews, namespace: bookinfo{"}"}
        spec:
        {spec}
        """;

    [Fact]
    public void Validate_ValidSplit_HasNoErrors()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 80}
                - {destination: {host: reviews, subset: v3}, weight: 20}
                timeout: 10s
                retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,503"}
            """));

        Assert.Empty(errors);
    }

    /// <summary>As Istio: a VirtualService without hosts is a delegate (valid), which must not bind gateways.</summary>
    [Fact]
    public void WithoutHosts_IsADelegate_WhichMayNotBindGateways()
    {
        Assert.Empty(YamlFixtures.Validate(Vs("""
              http:
              - route: [{destination: {host: reviews}}]
            """)));

        var errors = YamlFixtures.Validate(Vs("""
              gateways: [edge]
              http:
              - route: [{destination: {host: reviews}}]
            """));

        var error = YamlFixtures.SingleError(errors, "spec.gateways", "delegate virtual service must have no gateways specified");
        Assert.Equal(("VirtualService", "bookinfo", "reviews", YamlFixtures.Source), (error.Kind, error.Namespace, error.Name, error.Source));
    }

    [Fact]
    public void Rejects_WeightsNotSummingTo100_WithActualSum()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 70}
                - {destination: {host: reviews, subset: v3}, weight: 20}
            """));

        Assert.Empty(errors); // Istio splits in proportion (70:20); translation scales to 100
    }

    [Fact]
    public void Accepts_MissingWeightWithSeveralDestinations_AsZero()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 100}
                - {destination: {host: reviews, subset: v3}}
            """));

        Assert.Empty(errors); // Istio: an unset weight among several is 0
    }

    [Fact]
    public void Rejects_WeightOutOfRange()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 120}
                - {destination: {host: reviews, subset: v3}, weight: -20}
            """));

        // Istio: no upper bound, only non-negative.
        YamlFixtures.SingleError(errors, "spec.http[0].route[1].weight", "weight -20 must be non-negative");
    }

    [Fact]
    public void Accepts_SingleDestinationWithoutWeight()
    {
        Assert.Empty(YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route: [{destination: {host: reviews}}]
            """)));
    }

    [Fact]
    public void Rejects_RouteWithoutDestinations()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - match: [{uri: {prefix: /}}]
            """));

        YamlFixtures.SingleError(errors, "spec.http[0]", "one of route, redirect or directResponse is required");
    }

    [Fact]
    public void Rejects_EmptyDestinationHost()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 50}
                - {destination: {subset: v3}, weight: 50}
            """));

        YamlFixtures.SingleError(errors, "spec.http[0].route[1].destination.host", "is required");
    }

    [Fact]
    public void Rejects_RegexThatDoesNotCompile()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - match: [{uri: {regex: "/reviews/(["}}]
                route: [{destination: {host: reviews}}]
            """));

        YamlFixtures.SingleError(errors, "spec.http[0].match[0].uri.regex", "invalid regex '/reviews/(['");
    }

    [Fact]
    public void Rejects_HeaderRegexWithLookaheadNamingRe2()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - match:
                - headers:
                    end-user: {regex: "^(?!jason).*$"}
                route: [{destination: {host: reviews}}]
            """));

        YamlFixtures.SingleError(errors, "spec.http[0].match[0].headers.end-user.regex", "uses a lookahead '(?!', which RE2");
    }

    /// <summary>As Istio: a matched header name is any RFC 7230 token (translation lowercases it); a space is not.</summary>
    [Fact]
    public void AcceptsUppercaseHeaderName_LowercasedInTranslation_RejectsANonToken()
    {
        var vs = Vs("""
              hosts: [reviews]
              http:
              - match: [{headers: {End-User: {exact: jason}}}]
                route: [{destination: {host: reviews}}]
            """);
        Assert.Empty(YamlFixtures.Validate(vs));
        var input = Mesh.Model.Tests.Translation.Bookinfo.ReviewsInput() with { VirtualServices = [YamlFixtures.ParseSingle<Mesh.Model.Config.VirtualService>(vs)] };
        var route = Envoy.Config.Route.V3.VirtualHost.Parser.ParseFrom(Mesh.Model.Translation.RouteBuilder.BuildVirtualHosts(input).Single().SameNamespace.Span).Routes[0];
        Assert.Equal("end-user", route.Match.Headers.Single().Name);

        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - match: [{headers: {"end user": {exact: jason}}}]
                route: [{destination: {host: reviews}}]
            """));
        YamlFixtures.SingleError(errors, "spec.http[0].match[0].headers.end user", "is not a valid header name");
    }

    [Fact]
    public void Rejects_NegativeTimeoutsAndAttempts()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - route: [{destination: {host: reviews}}]
                timeout: -1s
                retries: {attempts: -2, perTryTimeout: -500ms, retryOn: "5xx,sometimes"}
            """));

        Assert.Equal(
            [
                ("spec.http[0].timeout", "timeout -1s must be non-negative"),
                ("spec.http[0].retries.attempts", "attempts -2 must be non-negative"),
                ("spec.http[0].retries.perTryTimeout", "duration -0.5s must be at least 1ms"),
                ("spec.http[0].retries.retryOn", "unknown retry policy 'sometimes', expected an Envoy retry_on value such as 5xx, gateway-error, connect-failure or an HTTP status code"),
            ],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Rejects_PortsOutOfRange()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [reviews]
              http:
              - match: [{port: 0}]
                route: [{destination: {host: reviews, port: {number: 70000}}}]
            """));

        Assert.Equal(
            [
                ("spec.http[0].match[0].port", "port number 0 is out of range 1..65535"),
                ("spec.http[0].route[0].destination.port.number", "port number 70000 is out of range 1..65535"),
            ],
            errors.Select(e => (e.Field, e.Reason)));
    }

    [Fact]
    public void Rejects_WildcardHostBoundToMesh()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: ["*"]
              http:
              - route: [{destination: {host: reviews}}]
            """));

        YamlFixtures.SingleError(errors, "spec.hosts[0]", "wildcard host '*' is not allowed for a VirtualService bound to the mesh gateway");
    }

    [Fact]
    public void Rejects_TcpRouteWeights()
    {
        var errors = YamlFixtures.Validate(Vs("""
              hosts: [mysql]
              tcp:
              - route:
                - {destination: {host: mysql-a}, weight: 0}
                - {destination: {host: mysql-b}, weight: 0}
            """));

        YamlFixtures.SingleError(errors, "spec.tcp[0].route", "the weights of several destinations sum to 0");
    }

    [Fact]
    public void Rejects_InvalidNameAndReportsAllErrors()
    {
        var errors = YamlFixtures.Validate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: Reviews_VS, namespace: bookinfo}
            spec:
              http:
              - route: []
            """);

        Assert.Equal(["metadata.name", "spec.http[0]"], errors.Select(e => e.Field)); // no hosts: a delegate, which is valid
        Assert.Contains("is not a valid DNS-1123 subdomain", errors[0].Reason, StringComparison.Ordinal);
    }
}

/// <summary>Issue 15: Istio's rules for the http policies, each error naming its field and why.</summary>
public sealed class VirtualServiceHttpPolicyValidatorTests
{
    private static string Vs(string http) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: reviews, namespace: bookinfo{"}"}
        spec:
          hosts: [reviews]
          http:
        {string.Join('\n', http.Split('\n').Select(line => "  " + line))}
        """;

    [Theory]
    [InlineData("- {fault: {abort: {httpStatus: 700, percentage: {value: 50}}}, route: [{destination: {host: reviews}}]}", "spec.http[0].fault.abort.httpStatus", "HTTP status 700 is not in range 200..599")]
    [InlineData("- {fault: {abort: {grpcStatus: BROKEN}}, route: [{destination: {host: reviews}}]}", "spec.http[0].fault.abort.grpcStatus", "'BROKEN' is not a gRPC status")]
    [InlineData("- {fault: {abort: {httpStatus: 503, percentage: {value: 150}}}, route: [{destination: {host: reviews}}]}", "spec.http[0].fault.abort.percentage.value", "percentage 150 is neither 0 nor in range 0.0001..100")]
    [InlineData("- {fault: {delay: {fixedDelay: 0s}}, route: [{destination: {host: reviews}}]}", "spec.http[0].fault.delay.fixedDelay", "must be at least 1ms")]
    [InlineData("- {redirect: {uri: /x}, route: [{destination: {host: reviews}}]}", "spec.http[0]", "cannot set both route and redirect")]
    [InlineData("- {redirect: {uri: /x, redirectCode: 200}}", "spec.http[0].redirect.redirectCode", "200 is not a redirect code (3xx)")]
    [InlineData("- {redirect: {scheme: ftp}}", "spec.http[0].redirect.scheme", "scheme 'ftp' must be http or https")]
    [InlineData("- {redirect: {redirectCode: 301}}", "spec.http[0].redirect", "must set uri, authority, scheme, port or derivePort")]
    [InlineData("- {directResponse: {status: 99}}", "spec.http[0].directResponse.status", "HTTP status 99 is not in range 200..599")]
    [InlineData("- {directResponse: {status: 200}, fault: {abort: {httpStatus: 500}}}", "spec.http[0]", "cannot set both fault and directResponse")]
    [InlineData("- {match: [{uri: {prefix: /}}]}", "spec.http[0]", "one of route, redirect or directResponse is required")]
    [InlineData("- {rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}, route: [{destination: {host: reviews}}]}", "spec.http[0].rewrite", "cannot set both uri and uriRegexRewrite")]
    [InlineData("- {rewrite: {uriRegexRewrite: {match: \"(\", rewrite: b}}, route: [{destination: {host: reviews}}]}", "spec.http[0].rewrite.uriRegexRewrite.match", "")]
    [InlineData("- {mirror: {host: ratings}, mirrorPercentage: {value: 101}, route: [{destination: {host: reviews}}]}", "spec.http[0].mirrorPercentage.value", "mirror percentage 101 is not in range 0..100")]
    [InlineData("- {headers: {request: {set: {\"bad header\": x}}}, route: [{destination: {host: reviews}}]}", "spec.http[0].headers.request.set.bad header", "'bad header' is not a valid header name")]
    [InlineData("- {headers: {response: {remove: [host]}}, route: [{destination: {host: reviews}}]}", "spec.http[0].headers.response.remove[0]", "the host header cannot be removed")]
    [InlineData("- {corsPolicy: {allowMethods: [FETCH]}, route: [{destination: {host: reviews}}]}", "spec.http[0].corsPolicy.allowMethods", "'FETCH' is not an HTTP method")]
    [InlineData("- {corsPolicy: {maxAge: 1500ms}, route: [{destination: {host: reviews}}]}", "spec.http[0].corsPolicy.maxAge", "is accurate only to seconds")]
    [InlineData("- {retries: {attempts: 0, perTryTimeout: 1s}, route: [{destination: {host: reviews}}]}", "spec.http[0].retries", "attempts 0 (retries disabled)")]
    [InlineData("- {match: [{queryParams: {q: {regex: \"(\"}}}], route: [{destination: {host: reviews}}]}", "spec.http[0].match[0].queryParams.q.regex", "")]
    [InlineData("- {match: [{headers: {x-a: {prefix: \"\"}}}], route: [{destination: {host: reviews}}]}", "spec.http[0].match[0].headers.x-a", "prefix must not be empty")]
    public void Rejects_WithFieldAndReason(string http, string field, string reason)
    {
        var errors = Mesh.Model.Tests.Config.YamlFixtures.Validate(Vs(http));

        Mesh.Model.Tests.Config.YamlFixtures.SingleError(errors, field, reason);
    }

    [Fact]
    public void AnEmptyFault_IsAParseError_AnUntypedDelayOrAbort_IsAcceptedAndReportedAsIstioDoes()
    {
        var empty = Mesh.Model.Config.Parsing.ManifestParser.Parse(Vs("- {fault: {}, route: [{destination: {host: reviews}}]}"), "test.yaml");
        var error = Assert.Single(empty.Errors);
        Assert.Equal(("spec.http[0].fault", "must set delay and/or abort"), (error.Field, error.Reason));

        var untyped = Mesh.Model.Tests.Config.YamlFixtures.ParseSingle<Mesh.Model.Config.VirtualService>(
            Vs("- {fault: {delay: {percentage: {value: 5}}, abort: {percentage: {value: 5}}}, route: [{destination: {host: reviews}}]}"));
        Assert.Empty(Mesh.Model.Validation.ConfigValidator.Validate(untyped, "test.yaml"));
        Assert.Equal(["spec.http[0].fault.delay", "spec.http[0].fault.abort"], untyped.Unsupported.ToArray());
    }

    [Fact]
    public void Accepts_EveryPolicyTogether()
    {
        var errors = Mesh.Model.Tests.Config.YamlFixtures.Validate(Vs("""
              - match: [{uri: {prefix: /api}, method: {exact: GET}, queryParams: {v: {regex: "[0-9]+"}}}]
                fault: {delay: {fixedDelay: 5ms, percentage: {value: 0.5}}, abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}}
                headers: {request: {set: {x-a: "1", ":authority": api.internal}}, response: {remove: [server]}}
                rewrite: {uri: /v2/api}
                mirror: {host: ratings}
                mirrorPercentage: {value: 0}
                corsPolicy: {allowOrigins: [{exact: "https://a.example"}], allowMethods: [GET], maxAge: 1h}
                retries: {attempts: 2, retryOn: "unavailable,503"}
                route: [{destination: {host: reviews}}]
              - redirect: {authority: new.example, derivePort: FROM_REQUEST_PORT, redirectCode: 308}
            """));

        Assert.Empty(errors);
    }
}
