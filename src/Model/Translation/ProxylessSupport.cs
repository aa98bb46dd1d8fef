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

    /// <summary>The reason prefix of a field proxyless clients get in another form (the rest says how).</summary>
    public const string OtherwisePrefix = "applied otherwise to proxyless gRPC clients: ";

    /// <summary>The <c>retryOn</c> conditions gRPC retries on (gRFC A44); it ignores the others.</summary>
    public static readonly IReadOnlySet<string> RetryOn = new HashSet<string>(StringComparer.Ordinal) { "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable" };

    /// <summary>
    /// Why a set ring size is not sent to any client: grpc-js 1.14 reads the size of a
    /// load_balancing_policy ring hash as text and NACKs it, so every client uses the default ring
    /// (1024 entries minimum). Reported for all clients (the reason does not start with <see cref="Prefix"/>).
    /// </summary>
    public const string RingSizeNotApplied = "minimumRingSize is not applied: grpc-js 1.14 NACKs any ring size, so every client uses the default ring of at least 1024 entries";

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
        DestinationRule rule => DestinationRuleOmissions(rule),
        ServiceEntry entry when entry.Resolution == "DNS" && (entry.Endpoints.IsDefault ? 0 : entry.Endpoints.Length) > 1 =>
            [("spec.endpoints", Prefix + "gRPC resolves one name per cluster (LOGICAL_DNS, gRFC A37; it rejects STRICT_DNS): they use the first endpoint only")],
        _ => [],
    };

    private static IEnumerable<(string Field, string Reason)> DestinationRuleOmissions(DestinationRule rule)
    {
        var policies = new List<(string At, TrafficPolicy Policy)>();
        if (rule.TrafficPolicy is { } top)
        {
            policies.Add(("spec.trafficPolicy", top));
        }
        for (var i = 0; i < (rule.Subsets.IsDefault ? 0 : rule.Subsets.Length); i++)
        {
            if (rule.Subsets[i].TrafficPolicy is { } own)
            {
                policies.Add((string.Create(CultureInfo.InvariantCulture, $"spec.subsets[{i}].trafficPolicy"), own));
            }
        }
        foreach (var (at, policy) in policies.ToList())
        {
            for (var p = 0; p < (policy.PortLevelSettings.IsDefault ? 0 : policy.PortLevelSettings.Length); p++)
            {
                policies.Add((string.Create(CultureInfo.InvariantCulture, $"{at}.portLevelSettings[{p}]"), policy.PortLevelSettings[p].Policy));
            }
        }
        foreach (var (at, policy) in policies)
        {
            if (policy.ConsistentHash is { } hash)
            {
                var field = at + ".loadBalancer.consistentHash";
                if (hash.Maglev)
                {
                    yield return (field + ".maglev", Prefix + "gRPC has no Maglev balancer; they balance round robin");
                }
                else
                {
                    yield return (field, Prefix + "gRPC C-core before 1.55 reads only lb_policy and balances round robin (its RING_HASH crashes 1.51: grpc/grpc#31766); grpc-js and C-core 1.55+ take the ring hash");
                }
                if ((hash.RingHashMinimumRingSize ?? hash.DeprecatedMinimumRingSize) is not null)
                {
                    yield return (field, RingSizeNotApplied);
                }
                if (hash.HttpHeaderName is null)
                {
                    yield return (field, Prefix + "gRPC hashes only on a header (gRFC A42): a cookie, source IP or query parameter key is not sent to them");
                }
            }
            if (policy.LoadBalancer is LoadBalancerKind.Random or LoadBalancerKind.LeastRequest)
            {
                yield return (at + ".loadBalancer.simple", Prefix + "gRPC has no random or least-request balancer (C-core NACKs them); they balance round robin");
            }
            if (ClusterTls.Originates(policy.Tls))
            {
                yield return (at + ".tls", Prefix + "gRPC takes TLS certificates from certificate providers (gRFC A29), not over SDS; they connect without TLS until Mesh serves their certificates");
            }
            if (policy.Warmup is not null)
            {
                yield return (at + ".loadBalancer.warmup", Prefix + "gRPC has no slow start");
            }
            if (policy.OutlierDetection is not null)
            {
                yield return (at + ".outlierDetection", OtherwisePrefix + "gRPC ejects only by failure percentage or success rate (gRFC A50), not after consecutive errors: they eject an endpoint when more than half of at least consecutive5xxErrors (or consecutiveGatewayErrors) calls in an interval failed");
            }
            if (policy.ConnectionPool is { } pool && (pool.Tcp is not null || pool.Http is { } http && (http with { Http2MaxRequests = null }) != EmptyHttpPool))
            {
                yield return (at + ".connectionPool", Prefix + "gRPC applies only http.http2MaxRequests (circuit breaking, gRFC A32)");
            }
        }
    }

    private static readonly HttpPool EmptyHttpPool = new(null, null, null, null, null, null, null, null);

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
