using System.Collections.Immutable;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

public sealed class RouteBuilderTests
{
    private static readonly ImmutableSortedDictionary<string, StringMatch> NoHeaders = ImmutableSortedDictionary<string, StringMatch>.Empty;

    private static VirtualHost Same(PortVirtualHost host) => VirtualHost.Parser.ParseFrom(host.SameNamespace.Span);

    private static VirtualHost Other(PortVirtualHost host) => VirtualHost.Parser.ParseFrom(host.OtherNamespace.Span);

    private static ServiceTranslationInput WithRoutes(params HttpRoute[] routes) => Bookinfo.DetailsInput() with
    {
        VirtualServices = [new VirtualService(ObjectMeta.Of("details", Bookinfo.Namespace), ["details"], [], [.. routes], [], [])],
    };

    private static RouteDestination To(string host, int? weight = null, string? subset = null, int? port = null) =>
        new(new Destination(host, subset, port), weight);

    [Fact]
    public void BuildVirtualHosts_KubernetesService_DomainsPerVariant()
    {
        var host = RouteBuilder.BuildVirtualHosts(Bookinfo.DetailsInput()).Single();

        Assert.Equal($"{Bookinfo.Details}:9080", host.Name);
        Assert.Contains("details:9080", Same(host).Domains);
        Assert.DoesNotContain("details", Other(host).Domains);
        Assert.Equal(
            [Bookinfo.Details, $"{Bookinfo.Details}:9080", "details.bookinfo", "details.bookinfo:9080", "details.bookinfo.svc", "details.bookinfo.svc:9080", "10.0.0.11", "10.0.0.11:9080"],
            Other(host).Domains);
    }

    [Fact]
    public void BuildVirtualHosts_TcpOnlyServiceEntry_None()
    {
        Assert.Empty(RouteBuilder.BuildVirtualHosts(Bookinfo.DatabaseInput()));
    }

    [Fact]
    public void BuildVirtualHosts_ServiceEntryHttp_HostAndVipDomains()
    {
        var input = Bookinfo.DatabaseInput();
        input = input with { Service = input.Service with { Ports = [new MeshServicePort("http", 80, Protocol.Http, 80)] } };

        var host = RouteBuilder.BuildVirtualHosts(input).Single();

        Assert.Equal(["db.example.com", "db.example.com:80", "240.240.0.1", "240.240.0.1:80"], Same(host).Domains);
    }

    [Fact]
    public void BuildVirtualHosts_NoVirtualService_DefaultRouteWithoutTimeout()
    {
        var route = Same(RouteBuilder.BuildVirtualHosts(Bookinfo.DetailsInput()).Single()).Routes.Single();

        Assert.Equal("/", route.Match.Prefix);
        Assert.Equal($"outbound|9080||{Bookinfo.Details}", route.Route_.Cluster);
        Assert.Equal(new Google.Protobuf.WellKnownTypes.Duration(), route.Route_.Timeout);
    }

    [Fact]
    public void BuildVirtualHosts_RouteWithMatches_OneEnvoyRoutePerMatch()
    {
        var input = WithRoutes(new HttpRoute(
            "api",
            [
                new HttpMatchRequest("exact", new StringMatch(StringMatchKind.Exact, "/a"), NoHeaders, null, []),
                new HttpMatchRequest(null, new StringMatch(StringMatchKind.Regex, "/b/.*"), Bookinfo.Map(("x-v", new StringMatch(StringMatchKind.Prefix, "2"))), null, []),
                new HttpMatchRequest(null, new StringMatch(StringMatchKind.Prefix, "/c"), NoHeaders, 8080, []),
            ],
            [To("details")],
            null,
            null));

        var routes = Same(RouteBuilder.BuildVirtualHosts(input).Single()).Routes;

        Assert.Equal(2, routes.Count);
        Assert.Equal(("api.exact", "/a"), (routes[0].Name, routes[0].Match.Path));
        Assert.Equal("/b/.*", routes[1].Match.SafeRegex.Regex);
        Assert.Equal("2", routes[1].Match.Headers.Single().StringMatch.Prefix);
    }

    private static ServiceTranslationInput WithHeaderMatches() => WithRoutes(
        new HttpRoute(
            "by-header",
            [new HttpMatchRequest(
                null,
                new StringMatch(StringMatchKind.Prefix, "/"),
                Bookinfo.Map(
                    ("x-exact", new StringMatch(StringMatchKind.Exact, "jason")),
                    ("x-prefix", new StringMatch(StringMatchKind.Prefix, "beta")),
                    ("x-regex", new StringMatch(StringMatchKind.Regex, "gold|platinum"))),
                null,
                [])],
            [To("details", subset: "v2")],
            null,
            null),
        new HttpRoute("rest", [], [To("details", subset: "v1")], null, null));

    /// <summary>Each header matcher as (name, oneof case, value), whichever field holds it.</summary>
    private static IEnumerable<(string, HeaderMatcher.HeaderMatchSpecifierOneofCase, string)> Headers(Route route) =>
        route.Match.Headers.Select(h => (h.Name, h.HeaderMatchSpecifierCase, h.HeaderMatchSpecifierCase switch
        {
            // The deprecated fields are generated [Obsolete]; reading them is the point here.
#pragma warning disable CS0612
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => h.ExactMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => h.PrefixMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch => h.SafeRegexMatch.Regex,
#pragma warning restore CS0612
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => h.StringMatch.MatchPatternCase switch
            {
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Exact => "string_match.exact=" + h.StringMatch.Exact,
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Prefix => "string_match.prefix=" + h.StringMatch.Prefix,
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.SafeRegex => "string_match.safe_regex=" + h.StringMatch.SafeRegex.Regex,
                var other => "string_match." + other,
            },
            var other => other.ToString(),
        }));

    [Fact]
    public void BuildProxylessRoutes_HeaderMatches_UseLegacyHeaderMatcherFields()
    {
        // gRPC C-core before gRFC A63 (Debian's grpcio 1.51) NACKs string_match (issue 11).
        var config = RouteConfiguration.Parser.ParseFrom(RouteBuilder.BuildProxylessRoutes(WithHeaderMatches()).Single().Body.Span);

        var route = config.VirtualHosts.Single().Routes[0];

        Assert.Equal(
            [
                ("x-exact", HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch, "jason"),
                ("x-prefix", HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch, "beta"),
                ("x-regex", HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch, "gold|platinum"),
            ],
            Headers(route));
        Assert.All(route.Match.Headers, h => Assert.False(h.InvertMatch));
        Assert.Equal(("/", $"outbound|9080|v2|{Bookinfo.Details}"), (route.Match.Prefix, route.Route_.Cluster));
        Assert.Empty(ProxylessConformance.CheckRoute(config, config.Name));
    }

    [Fact]
    public void BuildVirtualHosts_HeaderMatches_KeepStringMatch()
    {
        var host = RouteBuilder.BuildVirtualHosts(WithHeaderMatches()).Single();

        foreach (var variant in new[] { Same(host), Other(host) })
        {
            Assert.Equal(
                [
                    ("x-exact", HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch, "string_match.exact=jason"),
                    ("x-prefix", HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch, "string_match.prefix=beta"),
                    ("x-regex", HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch, "string_match.safe_regex=gold|platinum"),
                ],
                Headers(variant.Routes[0]));
        }
    }

    [Fact]
    public void BuildVirtualHosts_Destinations_ShortNamesExpandedDottedTakenLiterallyZeroWeightsDropped()
    {
        // Istio expands only dotless short names; "ratings.bookinfo" is an FQDN as written.
        var input = WithRoutes(new HttpRoute(
            null,
            [],
            [To("details", 40), To("ratings.bookinfo", 30, port: 9090), To(Bookinfo.Ratings, 30, port: 9090), To("example.com", 0), To("reviews.other.svc", 0)],
            null,
            null));

        var action = Same(RouteBuilder.BuildVirtualHosts(input).Single()).Routes.Single().Route_;

        Assert.Equal(
            [($"outbound|9080||{Bookinfo.Details}", 40u), ("outbound|9090||ratings.bookinfo", 30u), ($"outbound|9090||{Bookinfo.Ratings}", 30u)],
            action.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight ?? 0)));
    }

    [Fact]
    public void BuildVirtualHosts_TimeoutAndRetries_SetForEnvoyAndGrpc()
    {
        var input = WithRoutes(
            new HttpRoute("a", [], [To("details")], TimeSpan.FromSeconds(3), new HttpRetry(2, null, "5xx")),
            new HttpRoute("b", [], [To("details")], null, new HttpRetry(0, null, null)));

        var routes = Same(RouteBuilder.BuildVirtualHosts(input).Single()).Routes;

        Assert.Equal(3, routes[0].Route_.Timeout.Seconds);
        Assert.Equal(3, routes[0].Route_.MaxStreamDuration.MaxStreamDuration_.Seconds);
        Assert.Equal(("5xx", 2u), (routes[0].Route_.RetryPolicy.RetryOn, routes[0].Route_.RetryPolicy.NumRetries ?? 0));
        Assert.Null(routes[0].Route_.RetryPolicy.PerTryTimeout);
        Assert.Null(routes[1].Route_.RetryPolicy);
        Assert.Null(routes[1].Route_.MaxStreamDuration);
    }

    [Fact]
    public void BuildRouteConfiguration_SplicedBytes_EqualFullSerialization()
    {
        var hosts = Bookinfo.All().SelectMany(i => RouteBuilder.BuildVirtualHosts(i)).Where(h => h.Port == 9080).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();

        var spliced = RouteBuilder.BuildRouteConfiguration("9080", hosts.Select(h => h.OtherNamespace));

        var full = new RouteConfiguration { Name = "9080", VirtualHosts = { hosts.Select(Other) } };
        Assert.Equal(full.ToByteArray(), spliced.Body.ToArray());
        Assert.Equal(ContentHash.Of(full.ToByteArray()), spliced.Version);
        Assert.Equal((TypeUrls.Route, "9080"), (spliced.TypeUrl, spliced.Name));
    }

    [Fact]
    public void BuildProxylessRoutes_EveryPort_NamedHostPortWithThatDomain()
    {
        var routes = RouteBuilder.BuildProxylessRoutes(Bookinfo.RatingsInput());

        Assert.Equal([$"{Bookinfo.Ratings}:9080", $"{Bookinfo.Ratings}:9090"], routes.Select(r => r.Name));
        foreach (var resource in routes)
        {
            var config = RouteConfiguration.Parser.ParseFrom(resource.Body.Span);
            Assert.Equal(resource.Name, config.Name);
            Assert.Contains(resource.Name, config.VirtualHosts.Single().Domains);
            Assert.DoesNotContain("ratings", config.VirtualHosts.Single().Domains);
        }
    }

    [Fact]
    public void BuildVirtualHosts_ServiceEntryRoutingToItself_HostNotResolved()
    {
        var input = Bookinfo.DatabaseInput();
        input = input with
        {
            Service = input.Service with { Hostname = "httpbin.org", Ports = [new MeshServicePort("http", 80, Protocol.Http, 80)] },
            VirtualServices = [new VirtualService(ObjectMeta.Of("httpbin", Bookinfo.Namespace), ["httpbin.org"], [], [new HttpRoute(null, [], [To("httpbin.org")], TimeSpan.FromSeconds(3), null)], [], [])],
        };

        var route = Same(RouteBuilder.BuildVirtualHosts(input).Single()).Routes.Single();

        Assert.Equal("outbound|80||httpbin.org", route.Route_.Cluster);
    }

    [Fact]
    public void BuildVirtualHosts_UnweightedDestinations_ShareOneHundred()
    {
        var input = WithRoutes(new HttpRoute(null, [], [To("details", subset: "a"), To("details", subset: "b"), To("details", subset: "c")], null, null));

        var clusters = Same(RouteBuilder.BuildVirtualHosts(input).Single()).Routes.Single().Route_.WeightedClusters.Clusters;

        Assert.Equal([34u, 33u, 33u], clusters.Select(c => c.Weight ?? 0));
    }
}
