using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using Matchers = Envoy.Type.Matcher.V3;

namespace Mesh.Model.Translation;

/// <summary>
/// Translates VirtualService <c>http</c> routes into Envoy routes, as Istio does: a route with N
/// matches becomes N Envoy routes, in order. Shared by sidecar, proxyless and router builds.
/// </summary>
internal static class HttpRouteTranslator
{
    /// <summary>Istio's default <c>retryOn</c>.</summary>
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>How one build resolves destinations and filters matches.</summary>
    /// <param name="Port">The listener/virtual-host port; matches with another <c>port</c> are skipped.</param>
    /// <param name="DomainSuffix">For short-name resolution.</param>
    /// <param name="HeaderForm">Which HeaderMatcher fields the client of this build accepts.</param>
    /// <param name="MatchApplies">False for matches bound to other gateways.</param>
    /// <param name="DestinationPort">Port of a resolved destination host; null drops it (with a diagnostic).</param>
    /// <param name="Diagnostics">Collects why a destination or route was dropped.</param>
    /// <param name="IsKnownHost">When it holds for a destination host as written, the host is not resolved further.</param>
    public sealed record Context(
        int Port,
        string DomainSuffix,
        HeaderMatcherForm HeaderForm,
        Func<HttpMatchRequest, bool> MatchApplies,
        Func<string, Destination, int?> DestinationPort,
        List<string> Diagnostics,
        Func<string, bool>? IsKnownHost = null);

    public static List<Route> Translate(IEnumerable<VirtualService> virtualServices, Context context)
    {
        var routes = new List<Route>();
        foreach (var vs in virtualServices)
        {
            if (vs.Http.IsDefaultOrEmpty)
            {
                continue;
            }
            for (var i = 0; i < vs.Http.Length; i++)
            {
                var http = vs.Http[i];
                var matches = http.Match.IsDefaultOrEmpty
                    ? new List<HttpMatchRequest?> { null }
                    : http.Match.Where(m => (m.Port is null || m.Port == context.Port) && context.MatchApplies(m)).ToList<HttpMatchRequest?>();
                if (matches.Count == 0)
                {
                    continue;
                }
                var action = Action(vs, i, http, context);
                if (action is null)
                {
                    continue;
                }
                foreach (var match in matches)
                {
                    routes.Add(new Route
                    {
                        Name = RouteName(http.Name, match?.Name),
                        Match = Match(match, context.HeaderForm),
                        Route_ = action.Clone(),
                    });
                }
            }
        }
        return routes;
    }

    /// <summary>The route of a host without VirtualService: everything to the default cluster, no timeout.</summary>
    public static Route Default(string cluster) => new()
    {
        Name = "default",
        Match = new RouteMatch { Prefix = "/" },
        Route_ = new RouteAction { Cluster = cluster, Timeout = new Duration() },
    };

    private static string RouteName(string? route, string? match) =>
        (route, match) switch
        {
            ({ Length: > 0 }, { Length: > 0 }) => $"{route}.{match}",
            ({ Length: > 0 }, _) => route,
            (_, { Length: > 0 }) => match,
            _ => "",
        };

    private static RouteMatch Match(HttpMatchRequest? match, HeaderMatcherForm headerForm)
    {
        // Path specifiers prefix, path and safe_regex are what gRFC A28 accepts too; the client
        // ignores (not NACKs) a prefix or path that no gRPC method name can match.
        var result = new RouteMatch();
        switch (match?.Uri)
        {
            case { MatchKind: StringMatchKind.Exact } uri:
                result.Path = uri.Value;
                break;
            case { MatchKind: StringMatchKind.Regex } uri:
                result.SafeRegex = new Matchers.RegexMatcher { Regex = uri.Value };
                break;
            case { MatchKind: StringMatchKind.Prefix } uri:
                result.Prefix = uri.Value;
                break;
            default:
                // G-04: every route needs a path specifier.
                result.Prefix = "/";
                break;
        }
        if (match?.Headers is { Count: > 0 } headers)
        {
            // ImmutableSortedDictionary: already in key order.
            foreach (var (name, value) in headers)
            {
                result.Headers.Add(headerForm switch
                {
                    HeaderMatcherForm.Legacy => LegacyHeaderMatcher(name, value),
                    _ => new HeaderMatcher { Name = name, StringMatch = StringMatcher(value) },
                });
            }
        }
        return result;
    }

    /// <summary>The same match in the HeaderMatcher fields gRFC A28 lists (see <see cref="HeaderMatcherForm.Legacy"/>).</summary>
    private static HeaderMatcher LegacyHeaderMatcher(string name, StringMatch match)
    {
        var result = new HeaderMatcher { Name = name };
        // Deprecated in Envoy's v3 API (so generated [Obsolete]), still valid there, and the only forms old gRPC clients know.
#pragma warning disable CS0612
        switch (match.MatchKind)
        {
            case StringMatchKind.Prefix:
                result.PrefixMatch = match.Value;
                break;
            case StringMatchKind.Regex:
                result.SafeRegexMatch = new Matchers.RegexMatcher { Regex = match.Value };
                break;
            default:
                result.ExactMatch = match.Value;
                break;
        }
#pragma warning restore CS0612
        return result;
    }

    private static Matchers.StringMatcher StringMatcher(StringMatch match) => match.MatchKind switch
    {
        StringMatchKind.Prefix => new Matchers.StringMatcher { Prefix = match.Value },
        StringMatchKind.Regex => new Matchers.StringMatcher { SafeRegex = new Matchers.RegexMatcher { Regex = match.Value } },
        _ => new Matchers.StringMatcher { Exact = match.Value },
    };

    private static RouteAction? Action(VirtualService vs, int index, HttpRoute http, Context context)
    {
        var clusters = new List<(string Name, uint Weight)>();
        var routeDestinations = http.Route.IsDefault ? [] : http.Route;
        var allUnweighted = routeDestinations.All(d => d.Weight is null);
        foreach (var destination in routeDestinations)
        {
            var weight = destination.Weight ?? (allUnweighted ? 1 : 0);
            if (weight <= 0)
            {
                continue;
            }
            var raw = destination.Destination.Host;
            var host = context.IsKnownHost?.Invoke(raw) == true ? raw : HostNames.Resolve(raw, vs.Meta.Namespace, context.DomainSuffix);
            var port = destination.Destination.Port ?? context.DestinationPort(host, destination.Destination);
            if (port is null)
            {
                context.Diagnostics.Add($"VirtualService {vs.Meta.Namespace}/{vs.Meta.Name} http[{index}]: destination '{host}' has no single port; set destination.port.");
                continue;
            }
            clusters.Add((ResourceNames.OutboundCluster(port.Value, destination.Destination.Subset, host), (uint)weight));
        }
        if (clusters.Count == 0)
        {
            context.Diagnostics.Add($"VirtualService {vs.Meta.Namespace}/{vs.Meta.Name} http[{index}]: no destination with a positive weight; route skipped.");
            return null;
        }
        if (allUnweighted)
        {
            // Unweighted destinations share 100, the total_weight older gRPC clients require (G-04).
            for (var i = 0; i < clusters.Count; i++)
            {
                clusters[i] = (clusters[i].Name, (uint)((100 / clusters.Count) + (i < 100 % clusters.Count ? 1 : 0)));
            }
        }

        var action = new RouteAction();
        if (clusters.Count == 1)
        {
            action.Cluster = clusters[0].Name;
        }
        else
        {
            var weighted = new WeightedCluster();
            foreach (var (name, weight) in clusters)
            {
                weighted.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = name, Weight = weight });
            }
            action.WeightedClusters = weighted;
        }

        if (http.Timeout is { } timeout)
        {
            action.Timeout = Duration.FromTimeSpan(timeout);
            // gRPC ignores route.timeout and reads max_stream_duration.
            action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Duration.FromTimeSpan(timeout) };
        }
        else
        {
            action.Timeout = new Duration();
        }

        if (http.Retries is { Attempts: > 0 } retries)
        {
            action.RetryPolicy = new RetryPolicy
            {
                RetryOn = string.IsNullOrEmpty(retries.RetryOn) ? DefaultRetryOn : retries.RetryOn,
                NumRetries = (uint)retries.Attempts,
                PerTryTimeout = retries.PerTryTimeout is { } perTry ? Duration.FromTimeSpan(perTry) : null,
            };
        }
        return action;
    }
}
