using Envoy.Config.Route.V3;
using Envoy.Extensions.Retry.Host.PreviousHosts.V3;
using Envoy.Type.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using CommonFault = Envoy.Extensions.Filters.Common.Fault.V3;
using EnvoyCors = Envoy.Extensions.Filters.Http.Cors.V3;
using EnvoyFault = Envoy.Extensions.Filters.Http.Fault.V3;
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

    /// <summary>Istio's default number of retries (its default retry policy, when <c>retries</c> is unset).</summary>
    public const int DefaultAttempts = 2;

    private const string PreviousHostsName = "envoy.retry_host_predicates.previous_hosts";



    /// <summary>How one build resolves destinations and filters matches.</summary>
    /// <param name="Port">The listener/virtual-host port; matches with another <c>port</c> are skipped.</param>
    /// <param name="DomainSuffix">For short-name resolution.</param>
    /// <param name="HeaderForm">Which HeaderMatcher fields the client of this build accepts.</param>
    /// <param name="MatchApplies">False for matches bound to other gateways.</param>
    /// <param name="DestinationPort">Port of a resolved destination host; null drops it (with a diagnostic).</param>
    /// <param name="Diagnostics">Collects why a destination or route was dropped.</param>
    /// <param name="IsKnownHost">When it holds for a destination host as written, the host is not resolved further.</param>
    /// <param name="DefaultRetryAttempts">Retries of the default policy for routes without <c>retries</c> (<see cref="MeshSettings.DefaultRetryAttempts"/>); 0: none.</param>
    /// <param name="HashOf">The consistent hash of a destination's cluster (host, destination, port), when its DestinationRule is known here.</param>
    /// <param name="Proxyless">
    /// A proxyless gRPC build: only what gRPC applies (gRFCs A28, A31, A33, A44) is written; the
    /// rest is left out and reported on the object (<see cref="ProxylessSupport"/>).
    /// </param>
    public sealed record Context(
        int Port,
        string DomainSuffix,
        HeaderMatcherForm HeaderForm,
        Func<HttpMatchRequest, bool> MatchApplies,
        Func<string, Destination, int?> DestinationPort,
        List<string> Diagnostics,
        Func<string, bool>? IsKnownHost = null,
        bool Proxyless = false,
        Func<string, Destination, int, ConsistentHash?>? HashOf = null,
        int DefaultRetryAttempts = DefaultAttempts);

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
                if (context.Proxyless && !ProxylessSupport.Forwards(http))
                {
                    continue; // a redirect or direct response: gRPC has neither (reported on the object)
                }
                var template = Template(vs, i, http, context);
                if (template is null)
                {
                    continue;
                }
                foreach (var match in matches)
                {
                    var route = template.Clone();
                    route.Name = RouteName(http.Name, match?.Name);
                    route.Match = Match(match, context.HeaderForm);
                    routes.Add(route);
                }
            }
        }
        return routes;
    }

    /// <summary>An inbound route: everything to <paramref name="cluster"/>, no timeout, no retries.</summary>
    public static Route Default(string cluster) => new()
    {
        Name = "default",
        Match = new RouteMatch { Prefix = "/" },
        Route_ = new RouteAction { Cluster = cluster, Timeout = new Duration() },
    };

    /// <summary>The outbound route of a host without VirtualService: everything to its default cluster, no timeout, Istio's default retries.</summary>
    public static Route DefaultOutbound(string cluster, bool proxyless, ConsistentHash? hash = null, int defaultRetryAttempts = DefaultAttempts)
    {
        var route = Default(cluster);
        route.Route_.RetryPolicy = Retries(null, proxyless, defaultRetryAttempts);
        if (hash is not null && HashPolicy(hash, proxyless) is { } hashPolicy)
        {
            route.Route_.HashPolicy.Add(hashPolicy);
            route.Route_.RetryPolicy?.RetryHostPredicate.Clear();
        }
        return route;
    }

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
        if (match is null)
        {
            return result;
        }
        if (match.IgnoreUriCase && match.Uri is { MatchKind: not StringMatchKind.Regex })
        {
            result.CaseSensitive = false;
        }
        // Istio writes the pseudo-header matches first (scheme, method, authority), then the headers by name.
        AddHeader(result, ":scheme", match.Scheme, headerForm, invert: false);
        AddHeader(result, ":method", match.Method, headerForm, invert: false);
        AddHeader(result, ":authority", match.Authority, headerForm, invert: false);
        // ImmutableSortedDictionary: already in key order.
        foreach (var (name, value) in match.Headers)
        {
            AddHeader(result, name, value, headerForm, invert: false);
        }
        foreach (var (name, value) in match.WithoutHeaders)
        {
            AddHeader(result, name, value, headerForm, invert: true);
        }
        foreach (var (name, value) in match.QueryParams)
        {
            result.QueryParameters.Add(new QueryParameterMatcher { Name = name, StringMatch = StringMatcher(value) });
        }
        return result;
    }

    private static void AddHeader(RouteMatch match, string name, StringMatch? value, HeaderMatcherForm headerForm, bool invert)
    {
        if (value is null)
        {
            return;
        }
        name = name.ToLowerInvariant(); // HTTP/2 and gRPC carry header names in lowercase
        var header = value.MatchKind == StringMatchKind.Present
            ? new HeaderMatcher { Name = name, PresentMatch = true }
            : headerForm switch
            {
                HeaderMatcherForm.Legacy => LegacyHeaderMatcher(name, value),
                _ => new HeaderMatcher { Name = name, StringMatch = StringMatcher(value) },
            };
        header.InvertMatch = invert;
        // As Istio: an inverted value match also takes requests without the header (not possible with present_match).
        header.TreatMissingHeaderAsEmpty = invert && value.MatchKind != StringMatchKind.Present && headerForm != HeaderMatcherForm.Legacy;
        match.Headers.Add(header);
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

    /// <summary>
    /// The route of one <c>http</c> entry without its name and match: a redirect, a direct response,
    /// or a forward to the weighted destinations with the route's policies.
    /// </summary>
    private static Route? Template(VirtualService vs, int index, HttpRoute http, Context context)
    {
        var route = new Route();
        if (http.Redirect is { } redirect)
        {
            route.Redirect = Redirect(redirect, context.Port);
        }
        else if (http.DirectResponse is { } direct)
        {
            route.DirectResponse = new DirectResponseAction
            {
                Status = (uint)direct.Status,
                Body = direct.BodyString is { } text ? new Envoy.Config.Core.V3.DataSource { InlineString = text }
                    : direct.BodyBytes is { } base64 ? new Envoy.Config.Core.V3.DataSource { InlineBytes = ByteString.FromBase64(base64) }
                    : null,
            };
        }
        else if (Action(vs, index, http, context) is { } action)
        {
            route.Route_ = action;
        }
        else
        {
            return null;
        }
        if (!context.Proxyless && http.Headers is { IsEmpty: false } headers)
        {
            AddHeaderEdits(headers, route.RequestHeadersToAdd, route.RequestHeadersToRemove, route.ResponseHeadersToAdd, route.ResponseHeadersToRemove);
            if (route.Route_ is { } forward && forward.HostRewriteLiteral.Length == 0 && AuthorityOf(headers) is { } authority)
            {
                forward.HostRewriteLiteral = authority;
            }
        }
        if (!context.Proxyless && http.Cors is { } cors)
        {
            route.TypedPerFilterConfig[EnvoyFilters.CorsName] = Any.Pack(Cors(cors));
        }
        if (http.Fault is { } fault && (fault.Delay is not null || fault.Abort is not null) && (route.Route_ is not null || !context.Proxyless))
        {
            route.TypedPerFilterConfig[EnvoyFilters.FaultName] = Any.Pack(Fault(fault));
        }
        return route;
    }

    private static RouteAction? Action(VirtualService vs, int index, HttpRoute http, Context context)
    {
        var clusters = new List<(string Name, uint Weight, HeaderOperations? Headers)>();
        var hashes = new List<ConsistentHash?>();
        var routeDestinations = http.Route.IsDefault ? [] : http.Route;
        var allUnweighted = routeDestinations.All(d => d.Weight is null);
        foreach (var destination in routeDestinations)
        {
            // Istio: one destination takes everything whatever its weight; among several an unset weight is 0.
            var weight = routeDestinations.Length == 1 ? 1 : destination.Weight ?? (allUnweighted ? 1 : 0);
            if (weight <= 0)
            {
                continue;
            }
            if (Target(vs, destination.Destination, context) is not var (host, port))
            {
                context.Diagnostics.Add($"VirtualService {vs.Meta.Namespace}/{vs.Meta.Name} http[{index}]: destination '{destination.Destination.Host}' has no single port; set destination.port.");
                continue;
            }
            clusters.Add((ResourceNames.OutboundCluster(port, destination.Destination.Subset, host), (uint)weight, context.Proxyless ? null : destination.Headers));
            hashes.Add(context.HashOf?.Invoke(host, destination.Destination, port));
        }
        if (clusters.Count == 0)
        {
            context.Diagnostics.Add($"VirtualService {vs.Meta.Namespace}/{vs.Meta.Name} http[{index}]: no destination with a positive weight; route skipped.");
            return null;
        }
        ScaleTo100(clusters);

        var action = new RouteAction();
        if (clusters.Count == 1)
        {
            action.Cluster = clusters[0].Name;
        }
        else
        {
            var weighted = new WeightedCluster();
            foreach (var (name, weight, headers) in clusters)
            {
                var entry = new WeightedCluster.Types.ClusterWeight { Name = name, Weight = weight };
                if (headers is { IsEmpty: false })
                {
                    AddHeaderEdits(headers, entry.RequestHeadersToAdd, entry.RequestHeadersToRemove, entry.ResponseHeadersToAdd, entry.ResponseHeadersToRemove);
                }
                weighted.Clusters.Add(entry);
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

        action.RetryPolicy = Retries(http.Retries, context.Proxyless, context.DefaultRetryAttempts);
        if (hashes.Count > 0 && hashes.All(h => h is not null && h == hashes[0]) && HashPolicy(hashes[0]!, context.Proxyless) is { } hashPolicy)
        {
            action.HashPolicy.Add(hashPolicy);
            if (clusters.Count == 1)
            {
                action.RetryPolicy?.RetryHostPredicate.Clear(); // Istio: a retry must stay on the hashed host
            }
        }

        if (!context.Proxyless)
        {
            if (http.Rewrite is { } rewrite)
            {
                // Envoy swaps the matched prefix, or the whole path after an exact match, for prefix_rewrite.
                if (rewrite.Uri is { Length: > 0 } uri)
                {
                    action.PrefixRewrite = uri;
                }
                if (rewrite.Authority is { Length: > 0 } authority)
                {
                    action.HostRewriteLiteral = authority;
                }
                if (rewrite.UriRegex is { } regex)
                {
                    action.RegexRewrite = new Matchers.RegexMatchAndSubstitute { Pattern = new Matchers.RegexMatcher { Regex = regex.Match }, Substitution = regex.Rewrite };
                }
            }
            foreach (var mirror in http.Mirrors.IsDefault ? [] : http.Mirrors)
            {
                if (mirror.Percent is <= 0)
                {
                    continue; // Istio: an explicit 0% mirrors nothing
                }
                if (Target(vs, mirror.Destination, context) is not var (mirrorHost, mirrorPort))
                {
                    context.Diagnostics.Add($"VirtualService {vs.Meta.Namespace}/{vs.Meta.Name} http[{index}]: mirror '{mirror.Destination.Host}' has no single port; set its port.");
                    continue;
                }
                action.RequestMirrorPolicies.Add(new RouteAction.Types.RequestMirrorPolicy
                {
                    Cluster = ResourceNames.OutboundCluster(mirrorPort, mirror.Destination.Subset, mirrorHost),
                    RuntimeFraction = new Envoy.Config.Core.V3.RuntimeFractionalPercent { DefaultValue = Percent(mirror.Percent ?? 100) },
                    TraceSampled = false,
                });
            }
        }
        return action;
    }

    /// <summary>
    /// A DestinationRule's consistent-hash key as the route's hash policy. gRPC hashes only on a
    /// header (gRFC A42): for proxyless clients the other keys are left out (reported on the rule).
    /// </summary>
    public static RouteAction.Types.HashPolicy? HashPolicy(ConsistentHash hash, bool proxyless)
    {
        if (hash.HttpHeaderName is { Length: > 0 } header)
        {
            return new RouteAction.Types.HashPolicy { Header = new RouteAction.Types.HashPolicy.Types.Header { HeaderName = header } };
        }
        if (proxyless)
        {
            return null;
        }
        if (hash.HttpCookie is { } cookie)
        {
            var result = new RouteAction.Types.HashPolicy.Types.Cookie { Name = cookie.Name, Path = cookie.Path ?? "" };
            if (cookie.Ttl is { } ttl)
            {
                result.Ttl = Duration.FromTimeSpan(ttl);
            }
            return new RouteAction.Types.HashPolicy { Cookie = result };
        }
        if (hash.UseSourceIp)
        {
            return new RouteAction.Types.HashPolicy { ConnectionProperties = new RouteAction.Types.HashPolicy.Types.ConnectionProperties { SourceIp = true } };
        }
        if (hash.HttpQueryParameterName is { Length: > 0 } query)
        {
            return new RouteAction.Types.HashPolicy { QueryParameter = new RouteAction.Types.HashPolicy.Types.QueryParameter { Name = query } };
        }
        return null;
    }

    /// <summary>
    /// Weights in proportion, scaled to sum to 100 — the total_weight older gRPC clients require (G-04;
    /// C-core 1.51 NACKs another sum) — by largest remainder, so 100-sum weights stay as written.
    /// Unweighted destinations share 100 evenly.
    /// </summary>
    private static void ScaleTo100(List<(string Name, uint Weight, HeaderOperations? Headers)> clusters)
    {
        var total = clusters.Sum(c => (long)c.Weight);
        if (clusters.Count < 2 || total == 100)
        {
            return;
        }
        var shares = clusters.Select((c, i) => (Index: i, Floor: c.Weight * 100 / total, Remainder: c.Weight * 100 % total)).ToList();
        var left = 100 - shares.Sum(s => s.Floor);
        foreach (var share in shares.OrderByDescending(s => s.Remainder).ThenBy(s => s.Index).Take((int)left))
        {
            shares[share.Index] = share with { Floor = share.Floor + 1 };
        }
        for (var i = 0; i < clusters.Count; i++)
        {
            clusters[i] = (clusters[i].Name, (uint)shares[i].Floor, clusters[i].Headers);
        }
        clusters.RemoveAll(c => c.Weight == 0); // a share rounded to nothing (a weight under 1%)
    }

    /// <summary>A destination's host (short names resolved in the VirtualService's namespace) and port; null when the port is not known.</summary>
    private static (string Host, int Port)? Target(VirtualService vs, Destination destination, Context context)
    {
        var raw = destination.Host;
        var host = context.IsKnownHost?.Invoke(raw) == true ? raw : HostNames.Resolve(raw, vs.Meta.Namespace, context.DomainSuffix);
        return (destination.Port ?? context.DestinationPort(host, destination)) is { } port ? (host, port) : null;
    }

    /// <summary>
    /// Istio's retry policy: its default when <c>retries</c> is unset, none when <c>attempts</c> is 0.
    /// <c>retryOn</c> entries that are numbers are retriable status codes. gRPC applies
    /// <c>retry_on</c> (gRPC status names), <c>num_retries</c> and <c>retry_back_off</c> (gRFC A44);
    /// for it the HTTP-only parts are left out.
    /// </summary>
    private static RetryPolicy? Retries(HttpRetry? retries, bool proxyless, int defaultAttempts)
    {
        if (retries is { Attempts: <= 0 } || (retries is null && defaultAttempts <= 0))
        {
            return null;
        }
        var policy = new RetryPolicy { NumRetries = (uint)(retries?.Attempts ?? defaultAttempts) };
        var on = new List<string>();
        foreach (var entry in (retries?.RetryOn is { Length: > 0 } given ? given : DefaultRetryOn).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (uint.TryParse(entry, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                if (!proxyless)
                {
                    policy.RetriableStatusCodes.Add(code);
                }
            }
            else if (!proxyless || ProxylessSupport.RetryOn.Contains(entry))
            {
                on.Add(entry);
            }
        }
        if (policy.RetriableStatusCodes.Count > 0 && !on.Contains("retriable-status-codes"))
        {
            on.Add("retriable-status-codes");
        }
        if (proxyless && on.Count == 0)
        {
            return null; // nothing gRPC retries on (reported on the object)
        }
        policy.RetryOn = string.Join(',', on);
        if (!proxyless)
        {
            policy.PerTryTimeout = retries?.PerTryTimeout is { } perTry ? Duration.FromTimeSpan(perTry) : null;
            policy.RetryHostPredicate.Add(new RetryPolicy.Types.RetryHostPredicate
            {
                Name = PreviousHostsName,
                TypedConfig = Any.Pack(new PreviousHostsPredicate()),
            });
            policy.HostSelectionRetryMaxAttempts = 5;
            if (retries?.RetryRemoteLocalities == true)
            {
                policy.RetryPriority = new RetryPolicy.Types.RetryPriority
                {
                    Name = "envoy.retry_priorities.previous_priorities",
                    TypedConfig = Any.Pack(new Envoy.Extensions.Retry.Priority.PreviousPriorities.V3.PreviousPrioritiesConfig { UpdateFrequency = 2 }),
                };
            }
        }
        return policy;
    }

    private static RedirectAction Redirect(HttpRedirect redirect, int listenerPort)
    {
        var action = new RedirectAction
        {
            ResponseCode = redirect.RedirectCode switch
            {
                302 => RedirectAction.Types.RedirectResponseCode.Found,
                303 => RedirectAction.Types.RedirectResponseCode.SeeOther,
                307 => RedirectAction.Types.RedirectResponseCode.TemporaryRedirect,
                308 => RedirectAction.Types.RedirectResponseCode.PermanentRedirect,
                _ => RedirectAction.Types.RedirectResponseCode.MovedPermanently,
            },
        };
        if (redirect.Uri is { Length: > 0 } path)
        {
            action.PathRedirect = path;
        }
        if (redirect.Authority is { Length: > 0 } authority)
        {
            action.HostRedirect = authority;
        }
        if (redirect.Scheme is { Length: > 0 } scheme)
        {
            action.SchemeRedirect = scheme;
        }
        if (redirect.Port is { } port)
        {
            action.PortRedirect = (uint)port;
        }
        else if (string.Equals(redirect.DerivePort, "FROM_REQUEST_PORT", StringComparison.Ordinal))
        {
            action.PortRedirect = (uint)listenerPort;
        }
        return action;
    }

    private static void AddHeaderEdits(
        HeaderOperations headers,
        Google.Protobuf.Collections.RepeatedField<Envoy.Config.Core.V3.HeaderValueOption> requestAdd,
        Google.Protobuf.Collections.RepeatedField<string> requestRemove,
        Google.Protobuf.Collections.RepeatedField<Envoy.Config.Core.V3.HeaderValueOption> responseAdd,
        Google.Protobuf.Collections.RepeatedField<string> responseRemove)
    {
        Edits(headers.Request, requestAdd, requestRemove);
        Edits(headers.Response, responseAdd, responseRemove);

        static void Edits(HeaderEdits edits, Google.Protobuf.Collections.RepeatedField<Envoy.Config.Core.V3.HeaderValueOption> add, Google.Protobuf.Collections.RepeatedField<string> remove)
        {
            // Pseudo-headers and Host are not edited as headers: a set :authority or host rewrites the authority instead.
            foreach (var (name, value) in edits.Set.Where(h => !IsAuthorityOrPseudo(h.Key)))
            {
                add.Add(new Envoy.Config.Core.V3.HeaderValueOption { Header = new Envoy.Config.Core.V3.HeaderValue { Key = name, Value = value }, AppendAction = Envoy.Config.Core.V3.HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd });
            }
            foreach (var (name, value) in edits.Add.Where(h => !IsAuthorityOrPseudo(h.Key)))
            {
                add.Add(new Envoy.Config.Core.V3.HeaderValueOption { Header = new Envoy.Config.Core.V3.HeaderValue { Key = name, Value = value }, AppendAction = Envoy.Config.Core.V3.HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd });
            }
            remove.Add((edits.Remove.IsDefault ? [] : edits.Remove).Where(h => !IsAuthorityOrPseudo(h)));
        }
    }

    private static bool IsAuthorityOrPseudo(string name) => name.StartsWith(':') || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    /// <summary>The authority a route's request headers set (<c>set</c> wins over <c>add</c>), as Istio reads it.</summary>
    private static string? AuthorityOf(HeaderOperations headers)
    {
        foreach (var map in new[] { headers.Request.Set, headers.Request.Add })
        {
            foreach (var (name, value) in map)
            {
                if (string.Equals(name, ":authority", StringComparison.Ordinal) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }
        }
        return null;
    }

    /// <summary>Istio's CORS policy: the CORS filter's per-route config (Istio 1.20 and later).</summary>
    private static EnvoyCors.CorsPolicy Cors(Config.CorsPolicy cors)
    {
        var result = new EnvoyCors.CorsPolicy
        {
            AllowMethods = string.Join(',', cors.AllowMethods.IsDefault ? [] : cors.AllowMethods),
            AllowHeaders = string.Join(',', cors.AllowHeaders.IsDefault ? [] : cors.AllowHeaders),
            ExposeHeaders = string.Join(',', cors.ExposeHeaders.IsDefault ? [] : cors.ExposeHeaders),
            FilterEnabled = new Envoy.Config.Core.V3.RuntimeFractionalPercent { DefaultValue = new FractionalPercent { Numerator = 100, Denominator = FractionalPercent.Types.DenominatorType.Hundred } },
            ForwardNotMatchingPreflights = true,
        };
        foreach (var origin in cors.AllowOrigins.IsDefault ? [] : cors.AllowOrigins)
        {
            result.AllowOriginStringMatch.Add(StringMatcher(origin));
        }
        if (cors.MaxAge is { } maxAge)
        {
            result.MaxAge = ((long)maxAge.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (cors.AllowCredentials is { } credentials)
        {
            result.AllowCredentials = credentials;
        }
        return result;
    }

    /// <summary>Istio's fault injection for the route, the fault filter's per-route config.</summary>
    private static EnvoyFault.HTTPFault Fault(HttpFault fault)
    {
        var result = new EnvoyFault.HTTPFault();
        if (fault.Delay is { } delay)
        {
            // Istio: no percentage delays no request. Written out even when 0: grpc-js NACKs a fault without one.
            result.Delay = new CommonFault.FaultDelay { FixedDelay = Duration.FromTimeSpan(delay.FixedDelay), Percentage = Percent(delay.Percent ?? 0) };
        }
        if (fault.Abort is { } abort)
        {
            result.Abort = new EnvoyFault.FaultAbort { Percentage = Percent(abort.Percent ?? 0) };
            if (abort.HttpStatus is { } status)
            {
                result.Abort.HttpStatus = (uint)status;
            }
            else if (abort.GrpcStatus is { } grpc)
            {
                result.Abort.GrpcStatus = (uint)GrpcStatusCodes.Parse(grpc);
            }
        }
        return result;
    }

    /// <summary>Istio's <c>Percent</c> as Envoy's FractionalPercent: per million, so 0.0001% steps survive.</summary>
    private static FractionalPercent Percent(double percent) => new()
    {
        Numerator = (uint)Math.Round(Math.Clamp(percent, 0, 100) * 10_000),
        Denominator = FractionalPercent.Types.DenominatorType.Million,
    };
}
