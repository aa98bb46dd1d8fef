using System.Globalization;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Rules for one VirtualService <c>http</c> route, Istio's field by field: matches, the action (route, redirect or direct response), timeout, retries, fault, headers, rewrite, mirrors and CORS.</summary>
internal static class HttpRouteRules
{
    /// <summary>Envoy's <c>retry_on</c> policies (x-envoy-retry-on and x-envoy-retry-grpc-on), as Istio accepts them.</summary>
    private static readonly HashSet<string> RetryPolicies = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    /// <summary>The methods a CORS policy may allow (Istio's list).</summary>
    private static readonly HashSet<string> CorsMethods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*" };

    /// <summary>The largest direct response body Istio accepts (1 MB).</summary>
    private const int MaxDirectResponseBody = 1024 * 1024;

    public static void Validate(HttpRoute route, string field, ValidationContext context, bool inDelegate = false)
    {
        for (var i = 0; i < route.Match.Length; i++)
        {
            Match(route.Match[i], $"{field}.match[{i}]", context);
        }
        Action(route, field, context, inDelegate);
        if (route.Timeout is { } timeout)
        {
            // Istio: a timeout is a duration of at least 1 ms in whole milliseconds (leave it out to disable).
            context.Check(field + ".timeout", timeout < TimeSpan.Zero ? $"timeout {Seconds(timeout)} must be non-negative" : DurationRule(timeout));
        }
        if (route.Retries is { } retries)
        {
            Retries(retries, field + ".retries", context);
        }
        if (route.Fault is { } fault)
        {
            Fault(fault, field + ".fault", context);
        }
        if (route.Headers is { } headers)
        {
            Headers(headers, field + ".headers", context);
        }
        for (var i = 0; i < (route.Route.IsDefault ? 0 : route.Route.Length); i++)
        {
            if (route.Route[i].Headers is { } destinationHeaders)
            {
                Headers(destinationHeaders, $"{field}.route[{i}].headers", context);
            }
        }
        if (route.Rewrite is { } rewrite)
        {
            Rewrite(rewrite, route, field + ".rewrite", context);
        }
        if (route.Cors is { } cors)
        {
            Cors(cors, field + ".corsPolicy", context);
        }
        for (var i = 0; i < route.Mirrors.Length; i++)
        {
            var mirror = route.Mirrors[i];
            var at = MirrorField(route, i, field);
            if (mirror.Destination.Host.Length == 0)
            {
                context.Add(at.Destination + ".host", "is required");
            }
            else
            {
                context.Check(at.Destination + ".host", HostRules.WildcardDomain(mirror.Destination.Host));
            }
            if (mirror.Percent is { } percent && percent is < 0 or > 100)
            {
                context.Add(at.Percentage, string.Create(CultureInfo.InvariantCulture, $"mirror percentage {percent} is not in range 0..100"));
            }
        }
    }

    /// <summary>Exactly one of route, redirect and directResponse, and what each excludes (Istio's conflicts); a root route (delegate) none of route and redirect.</summary>
    private static void Action(HttpRoute route, string field, ValidationContext context, bool inDelegate)
    {
        var forwards = !route.Route.IsDefaultOrEmpty;
        if (route.Delegate is { } target)
        {
            if (inDelegate)
            {
                context.Add(field + ".delegate", "delegate HTTP route cannot contain delegate");
            }
            if (target.Name.Length == 0)
            {
                context.Add(field + ".delegate.name", "is required");
            }
            if (route.Redirect is not null)
            {
                context.Add(field, $"root HTTP route {route.Name} must not specify redirect");
            }
            if (forwards)
            {
                context.Add(field, $"root HTTP route {route.Name} must not specify route");
            }
            return;
        }
        if (route.Redirect is { } redirect)
        {
            Conflict(forwards, "route", "redirect", field, context);
            Conflict(route.Fault is not null, "fault", "redirect", field, context);
            Conflict(route.Rewrite is not null, "rewrite", "redirect", field, context);
            Conflict(route.DirectResponse is not null, "directResponse", "redirect", field, context);
            Redirect(redirect, field + ".redirect", context);
        }
        else if (route.DirectResponse is { } direct)
        {
            Conflict(forwards, "route", "directResponse", field, context);
            Conflict(route.Fault is not null, "fault", "directResponse", field, context);
            Conflict(route.Rewrite is not null, "rewrite", "directResponse", field, context);
            DirectResponse(direct, field + ".directResponse", context);
        }
        else if (!forwards)
        {
            context.Add(field, "one of route, redirect or directResponse is required");
        }
        if (forwards)
        {
            RouteRules.Destinations(route.Route, field + ".route", context);
        }
    }

    private static void Conflict(bool present, string what, string action, string field, ValidationContext context)
    {
        if (present)
        {
            context.Add(field, $"cannot set both {what} and {action}");
        }
    }

    private static void Redirect(HttpRedirect redirect, string field, ValidationContext context)
    {
        if (redirect.Uri is null && redirect.Authority is null && redirect.Scheme is null && redirect.Port is null && redirect.DerivePort is null)
        {
            context.Add(field, "must set uri, authority, scheme, port or derivePort");
        }
        if (redirect.RedirectCode is { } code && code is < 300 or > 399)
        {
            context.Add(field + ".redirectCode", $"{code} is not a redirect code (3xx)");
        }
        if (redirect.Scheme is { } scheme && scheme is not ("http" or "https"))
        {
            context.Add(field + ".scheme", $"scheme '{scheme}' must be http or https");
        }
        if (redirect.Port is { } port)
        {
            context.Check(field + ".port", PortRules.Number(port));
            if (redirect.DerivePort is not null)
            {
                context.Add(field, "cannot set both port and derivePort");
            }
        }
        if (redirect.DerivePort is { } derive && derive is not ("FROM_PROTOCOL_DEFAULT" or "FROM_REQUEST_PORT"))
        {
            context.Add(field + ".derivePort", $"'{derive}' must be FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT");
        }
    }

    private static void DirectResponse(HttpDirectResponse response, string field, ValidationContext context)
    {
        context.Check(field + ".status", HttpStatus(response.Status));
        if (response.BodyString is not null && response.BodyBytes is not null)
        {
            context.Add(field + ".body", "set one of string or bytes");
        }
        if (response.BodyBytes is { } base64)
        {
            var buffer = new byte[(base64.Length * 3 / 4) + 3];
            if (!Convert.TryFromBase64String(base64, buffer, out var length))
            {
                context.Add(field + ".body.bytes", "is not valid base64");
            }
            else if (length > MaxDirectResponseBody)
            {
                context.Add(field + ".body.bytes", $"body of {length} bytes is larger than 1 MB");
            }
        }
        if (response.BodyString is { Length: > MaxDirectResponseBody } text)
        {
            context.Add(field + ".body.string", $"body of {text.Length} characters is larger than 1 MB");
        }
    }

    private static void Fault(HttpFault fault, string field, ValidationContext context)
    {
        if (fault.Delay is { } delay)
        {
            context.Check(field + ".delay.fixedDelay", DurationRule(delay.FixedDelay));
            if (delay.Percent is { } percent)
            {
                context.Check(field + ".delay.percentage.value", PercentRule(percent));
            }
        }
        if (fault.Abort is { } abort)
        {
            if (abort.HttpStatus is { } status)
            {
                context.Check(field + ".abort.httpStatus", HttpStatus(status));
            }
            if (abort.GrpcStatus is { } grpc && Translation.GrpcStatusCodes.TryParse(grpc) is null)
            {
                context.Add(field + ".abort.grpcStatus", $"'{grpc}' is not a gRPC status; expected one of {string.Join(", ", Translation.GrpcStatusCodes.Names)}");
            }
            if (abort.Percent is { } percent)
            {
                context.Check(field + ".abort.percentage.value", PercentRule(percent));
            }
        }
    }

    private static void Headers(HeaderOperations headers, string field, ValidationContext context)
    {
        Side(headers.Request, field + ".request", request: true);
        Side(headers.Response, field + ".response", request: false);

        void Side(HeaderEdits edits, string at, bool request)
        {
            foreach (var (name, value) in edits.Set.Concat(edits.Add))
            {
                var op = edits.Set.ContainsKey(name) ? "set" : "add";
                var authority = request && (string.Equals(name, ":authority", StringComparison.Ordinal) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase));
                if (!authority)
                {
                    context.Check($"{at}.{op}.{name}", !request && string.Equals(name, "host", StringComparison.OrdinalIgnoreCase)
                        ? "the host header cannot be set on a response"
                        : HeaderNameRule(name));
                }
                if (value.Any(c => c is < ' ' and not '\t' || c == '\x7f'))
                {
                    context.Add($"{at}.{op}.{name}", "header value must not contain control characters");
                }
            }
            for (var i = 0; i < (edits.Remove.IsDefault ? 0 : edits.Remove.Length); i++)
            {
                var name = edits.Remove[i];
                context.Check($"{at}.remove[{i}]", string.Equals(name, "host", StringComparison.OrdinalIgnoreCase) ? "the host header cannot be removed" : HeaderNameRule(name));
            }
        }
    }

    private static void Rewrite(HttpRewrite rewrite, HttpRoute route, string field, ValidationContext context)
    {
        if (rewrite.Uri is null && rewrite.Authority is null && rewrite.UriRegex is null)
        {
            context.Add(field, "must set uri, uriRegexRewrite or authority");
        }
        if (rewrite.Uri is not null && rewrite.UriRegex is not null)
        {
            context.Add(field, "cannot set both uri and uriRegexRewrite");
        }
        if (rewrite.UriRegex is { } regex)
        {
            if (regex.Match.Length == 0)
            {
                context.Add(field + ".uriRegexRewrite.match", "is required");
            }
            else
            {
                context.Check(field + ".uriRegexRewrite.match", RegexRules.Re2(regex.Match));
            }
            if (regex.Rewrite.Length == 0)
            {
                context.Add(field + ".uriRegexRewrite.rewrite", "is required");
            }
        }
        if (rewrite.Authority is not null && route.Headers is { } headers
            && headers.Request.Set.Keys.Concat(headers.Request.Add.Keys).Any(h => h == ":authority" || string.Equals(h, "host", StringComparison.OrdinalIgnoreCase)))
        {
            context.Add(field + ".authority", "the authority is also set by headers.request; set it once");
        }
    }

    private static void Cors(CorsPolicy cors, string field, ValidationContext context)
    {
        for (var i = 0; i < cors.AllowOrigins.Length; i++)
        {
            var origin = cors.AllowOrigins[i];
            if (origin.Value.Length == 0)
            {
                context.Add($"{field}.allowOrigins[{i}]", "must not be empty");
            }
            StringMatchRule(origin, $"{field}.allowOrigins[{i}]", context);
        }
        foreach (var method in cors.AllowMethods)
        {
            if (!CorsMethods.Contains(method))
            {
                context.Add(field + ".allowMethods", $"'{method}' is not an HTTP method; expected one of {string.Join(", ", CorsMethods.Order(StringComparer.Ordinal))}");
            }
        }
        foreach (var (list, name) in new[] { (cors.AllowHeaders, "allowHeaders"), (cors.ExposeHeaders, "exposeHeaders") })
        {
            foreach (var header in list.Where(h => h != "*"))
            {
                context.Check($"{field}.{name}", HeaderNameRule(header));
            }
        }
        if (cors.MaxAge is { } maxAge)
        {
            context.Check(field + ".maxAge", DurationRule(maxAge));
            if (maxAge.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                context.Add(field + ".maxAge", "is accurate only to seconds");
            }
        }
    }

    private static (string Destination, string Percentage) MirrorField(HttpRoute route, int index, string field) =>
        route.SingleMirror && index == 0
            ? (field + ".mirror", field + ".mirrorPercentage.value")
            : ($"{field}.mirrors[{index - (route.SingleMirror ? 1 : 0)}].destination", $"{field}.mirrors[{index - (route.SingleMirror ? 1 : 0)}].percentage.value");

    /// <summary>Istio's Percent: 0, or 0.0001 to 100.</summary>
    private static string? PercentRule(double percent) =>
        percent == 0 || percent is >= 0.0001 and <= 100 ? null : $"percentage {percent.ToString(CultureInfo.InvariantCulture)} is neither 0 nor in range 0.0001..100";

    /// <summary>Istio's durations: at least 1 ms, whole milliseconds.</summary>
    internal static string? DurationRule(TimeSpan value) =>
        value < TimeSpan.FromMilliseconds(1) ? $"duration {Seconds(value)} must be at least 1ms"
        : value.Ticks % TimeSpan.TicksPerMillisecond != 0 ? $"duration {Seconds(value)} has a precision finer than 1ms"
        : null;

    private static string? HttpStatus(int status) =>
        status is >= 200 and <= 599 ? null : $"HTTP status {status} is not in range 200..599";

    /// <summary>An HTTP header name: an RFC 7230 token, lowercase (HTTP/2).</summary>
    private static string? HeaderNameRule(string name)
    {
        if (name.Length == 0)
        {
            return "header name must not be empty";
        }
        if (name.StartsWith(':'))
        {
            return $"pseudo-header '{name}' cannot be edited";
        }
        return name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))
            ? null
            : $"'{name}' is not a valid header name";
    }

    /// <summary>
    /// Istio's <c>ValidateHTTPHeaderNameOrJwtClaimRoute</c> for a matched header: an RFC 7230 token
    /// in any case (translation lowercases it, as HTTP/2 and gRPC carry it), a pseudo-header, or a
    /// JWT claim route (<c>@request.auth.claims…</c>, which its own rule covers).
    /// </summary>
    private static string? MatchedHeaderNameRule(string name)
    {
        if (name.Length == 0)
        {
            return "header name must not be empty";
        }
        if (name is ":method" or ":scheme" or ":authority" or ":path" or ":status" || name.StartsWith("@request.auth.claims", StringComparison.Ordinal))
        {
            return null;
        }
        return name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)) ? null : $"header name {name} is not a valid header name";
    }

    private static void Match(HttpMatchRequest match, string field, ValidationContext context)
    {
        if (match.Uri is { } uri)
        {
            StringMatchRule(uri, field + ".uri", context, emptyPrefix: true); // Istio allows uri: {prefix: ""}
        }
        foreach (var (name, header) in match.Headers)
        {
            if (MatchedHeaderNameRule(name) is { } error)
            {
                context.Add(name.Length == 0 ? field + ".headers" : $"{field}.headers.{name}", error);
            }
            StringMatchRule(header, $"{field}.headers.{name}", context);
        }
        foreach (var (name, header) in match.WithoutHeaders)
        {
            if (MatchedHeaderNameRule(name) is { } error)
            {
                context.Add(name.Length == 0 ? field + ".withoutHeaders" : $"{field}.withoutHeaders.{name}", error);
            }
            StringMatchRule(header, $"{field}.withoutHeaders.{name}", context);
        }
        foreach (var (name, query) in match.QueryParams)
        {
            StringMatchRule(query, $"{field}.queryParams.{name}", context);
        }
        foreach (var (value, name) in new[] { (match.Scheme, "scheme"), (match.Method, "method"), (match.Authority, "authority") })
        {
            if (value is not null)
            {
                StringMatchRule(value, $"{field}.{name}", context);
            }
        }
        if (match.Port is { } port)
        {
            context.Check(field + ".port", PortRules.Number(port));
        }
    }

    private static void StringMatchRule(StringMatch match, string field, ValidationContext context, bool emptyPrefix = false)
    {
        if (match.Value.Length == 0 && (match.MatchKind == StringMatchKind.Regex || (match.MatchKind == StringMatchKind.Prefix && !emptyPrefix)))
        {
            context.Add(field, $"{(match.MatchKind == StringMatchKind.Prefix ? "prefix" : "regex")} must not be empty");
        }
        else if (match.MatchKind == StringMatchKind.Regex)
        {
            context.Check(field + ".regex", RegexRules.Re2(match.Value));
        }
    }

    private static void Retries(HttpRetry retries, string field, ValidationContext context)
    {
        if (retries.Attempts < 0)
        {
            context.Add(field + ".attempts", $"attempts {retries.Attempts} must be non-negative");
        }
        if (retries.Attempts == 0 && (retries.PerTryTimeout is not null || retries.RetryOn is not null || retries.RetryRemoteLocalities is not null))
        {
            context.Add(field, "retry policy configured with attempts 0 (retries disabled): set attempts or remove the other fields");
        }
        if (retries.PerTryTimeout is { } perTry)
        {
            context.Check(field + ".perTryTimeout", DurationRule(perTry));
        }
        if (retries.RetryOn is { Length: > 0 } retryOn)
        {
            // Istio checks each entry as written: " gateway-error" (with its space) is not a policy.
            foreach (var policy in retryOn.Split(','))
            {
                if (!RetryPolicies.Contains(policy) && !IsStatusCode(policy))
                {
                    context.Add(field + ".retryOn", $"unknown retry policy '{policy}', expected an Envoy retry_on value such as 5xx, gateway-error, connect-failure or an HTTP status code");
                }
            }
        }
    }

    private static string Seconds(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds}s");

    /// <summary>An HTTP status code with a standard reason phrase, as Istio accepts in <c>retryOn</c> (499 is not one).</summary>
    private static bool IsStatusCode(string policy) =>
        policy.Length == 3 && policy.All(char.IsAsciiDigit)
        && Enum.IsDefined((System.Net.HttpStatusCode)int.Parse(policy, CultureInfo.InvariantCulture));
}
