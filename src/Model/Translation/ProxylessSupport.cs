using System.Globalization;
using Mesh.Model.Config;

namespace Mesh.Model.Translation;

/// <summary>
/// What proxyless gRPC clients apply of Istio's traffic policy (gRFCs A28 routing, A31 timeouts,
/// A33 fault injection, A44 retries), and so what Mesh leaves out of their resources: each left-out
/// field is reported on its object (<see cref="Omissions"/>), as Istio's gRPC generator logs them,
/// instead of sending a config a gRPC client would NACK or silently ignore.
/// </summary>
public static class ProxylessSupport
{
    /// <summary>The reason prefix of every proxyless omission (the rest says why).</summary>
    public const string Prefix = "not applied to proxyless gRPC clients: ";

    /// <summary>The <c>retryOn</c> conditions gRPC retries on (gRFC A44); it ignores the others.</summary>
    public static readonly IReadOnlySet<string> RetryOn = new HashSet<string>(StringComparer.Ordinal) { "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable" };

    /// <summary>False for a redirect or direct response route, which gRPC cannot follow: left out of proxyless route tables.</summary>
    public static bool Forwards(HttpRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.Redirect is null && route.DirectResponse is null;
    }

    /// <summary>The fields of <paramref name="obj"/> left out for proxyless gRPC clients, with why.</summary>
    public static IEnumerable<(string Field, string Reason)> Omissions(ConfigObject obj) => obj switch
    {
        VirtualService vs => VirtualServiceOmissions(vs),
        _ => [],
    };

    private static IEnumerable<(string Field, string Reason)> VirtualServiceOmissions(VirtualService vs)
    {
        for (var i = 0; i < (vs.Http.IsDefault ? 0 : vs.Http.Length); i++)
        {
            var http = vs.Http[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"spec.http[{i}]");
            if (http.Redirect is not null)
            {
                yield return (at + ".redirect", Prefix + "gRPC cannot follow a redirect; the route is left out of their route table");
            }
            if (http.DirectResponse is not null)
            {
                yield return (at + ".directResponse", Prefix + "gRPC has no direct response; the route is left out of their route table");
            }
            if (http.Headers is { IsEmpty: false })
            {
                yield return (at + ".headers", Prefix + "gRPC does not edit headers");
            }
            for (var d = 0; d < (http.Route.IsDefault ? 0 : http.Route.Length); d++)
            {
                if (http.Route[d].Headers is { IsEmpty: false })
                {
                    yield return (string.Create(CultureInfo.InvariantCulture, $"{at}.route[{d}].headers"), Prefix + "gRPC does not edit headers");
                }
            }
            if (http.Rewrite is not null)
            {
                yield return (at + ".rewrite", Prefix + "gRPC does not rewrite paths or authorities");
            }
            if (!http.Mirrors.IsDefaultOrEmpty)
            {
                yield return (at + ".mirror", Prefix + "gRPC does not mirror requests");
            }
            if (http.Retries is { Attempts: > 0 } retries)
            {
                if (retries.PerTryTimeout is not null)
                {
                    yield return (at + ".retries.perTryTimeout", Prefix + "gRPC has no per-try timeout (gRFC A44)");
                }
                var ignored = (retries.RetryOn ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(c => !RetryOn.Contains(c) && c != "retriable-status-codes")
                    .ToList();
                if (ignored.Count > 0)
                {
                    yield return (at + ".retries.retryOn", Prefix + $"gRPC retries only on {string.Join(", ", RetryOn.Order(StringComparer.Ordinal))} (gRFC A44); ignored: {string.Join(", ", ignored)}");
                }
            }
            for (var m = 0; m < (http.Match.IsDefault ? 0 : http.Match.Length); m++)
            {
                if (!http.Match[m].QueryParams.IsEmpty)
                {
                    yield return (string.Create(CultureInfo.InvariantCulture, $"{at}.match[{m}].queryParams"), Prefix + "gRPC requests have no query; gRPC never matches a route on it (gRFC A28)");
                }
            }
        }
    }
}
