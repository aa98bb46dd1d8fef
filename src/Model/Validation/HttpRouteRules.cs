using System.Globalization;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Rules for one VirtualService <c>http</c> route: matches, destinations, timeout and retries.</summary>
internal static class HttpRouteRules
{
    /// <summary>Envoy's <c>retry_on</c> policies (x-envoy-retry-on and x-envoy-retry-grpc-on), as Istio accepts them.</summary>
    private static readonly HashSet<string> RetryPolicies = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    public static void Validate(HttpRoute route, string field, ValidationContext context)
    {
        for (var i = 0; i < route.Match.Length; i++)
        {
            Match(route.Match[i], $"{field}.match[{i}]", context);
        }
        RouteRules.Destinations(route.Route, field + ".route", context);
        if (route.Timeout is { } timeout && timeout < TimeSpan.Zero)
        {
            context.Add(field + ".timeout", $"timeout {Seconds(timeout)} must be non-negative");
        }
        if (route.Retries is { } retries)
        {
            Retries(retries, field + ".retries", context);
        }
    }

    private static void Match(HttpMatchRequest match, string field, ValidationContext context)
    {
        if (match.Uri is { } uri)
        {
            StringMatchRule(uri, field + ".uri", context);
        }
        foreach (var (name, header) in match.Headers)
        {
            if (name.Length == 0)
            {
                context.Add(field + ".headers", "header name must not be empty");
            }
            else if (!string.Equals(name, name.ToLowerInvariant(), StringComparison.Ordinal))
            {
                context.Add($"{field}.headers.{name}", $"header name '{name}' must be lowercase");
            }
            StringMatchRule(header, $"{field}.headers.{name}", context);
        }
        if (match.Port is { } port)
        {
            context.Check(field + ".port", PortRules.Number(port));
        }
    }

    private static void StringMatchRule(StringMatch match, string field, ValidationContext context)
    {
        if (match.MatchKind == StringMatchKind.Regex)
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
        if (retries.PerTryTimeout is { } perTry && perTry < TimeSpan.Zero)
        {
            context.Add(field + ".perTryTimeout", $"perTryTimeout {Seconds(perTry)} must be non-negative");
        }
        if (retries.RetryOn is { Length: > 0 } retryOn)
        {
            foreach (var policy in retryOn.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!RetryPolicies.Contains(policy) && !IsStatusCode(policy))
                {
                    context.Add(field + ".retryOn", $"unknown retry policy '{policy}', expected an Envoy retry_on value such as 5xx, gateway-error, connect-failure or an HTTP status code");
                }
            }
        }
    }

    private static string Seconds(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds}s");

    private static bool IsStatusCode(string policy) =>
        policy.Length == 3 && policy.All(char.IsAsciiDigit) && policy[0] is >= '1' and <= '5';
}
