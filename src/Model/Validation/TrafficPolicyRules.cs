using System.Globalization;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Istio's rules for a DestinationRule <c>trafficPolicy</c>, block by block, each error naming its field.</summary>
internal static class TrafficPolicyRules
{
    /// <summary>Istio's bound for a Maglev table (a prime below it).</summary>
    private const long MaxMaglevTableSize = 5_000_011;

    public static void Validate(TrafficPolicy policy, string field, ValidationContext context)
    {
        Blocks(policy, field, context);
        for (var i = 0; i < (policy.PortLevelSettings.IsDefault ? 0 : policy.PortLevelSettings.Length); i++)
        {
            var entry = policy.PortLevelSettings[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}.portLevelSettings[{i}]");
            Blocks(entry.Policy, at, context);
        }
    }

    private static void Blocks(TrafficPolicy policy, string field, ValidationContext context)
    {
        if (policy.ConsistentHash is { } hash)
        {
            ConsistentHash(hash, field + ".loadBalancer.consistentHash", context);
        }
        if (policy.Warmup is { } warmup)
        {
            Warmup(warmup, field + ".loadBalancer.warmup", context);
        }
        if (policy.ConnectionPool is { } pool)
        {
            ConnectionPool(pool, field + ".connectionPool", context);
        }
        if (policy.OutlierDetection is { } outlier)
        {
            Outlier(outlier, field + ".outlierDetection", context);
        }
    }

    private static void ConsistentHash(ConsistentHash hash, string field, ValidationContext context)
    {
        if (hash.HttpCookie is { } cookie && cookie.Name.Length == 0)
        {
            context.Add(field + ".httpCookie.name", "is required");
        }
        if (hash.DeprecatedMinimumRingSize is not null && (hash.RingHashMinimumRingSize is not null || hash.Maglev))
        {
            context.Add(field, "set only one of minimumRingSize (deprecated) or ringHash/maglev");
        }
        foreach (var (size, name) in new[] { (hash.RingHashMinimumRingSize, "ringHash.minimumRingSize"), (hash.DeprecatedMinimumRingSize, "minimumRingSize") })
        {
            if (size is < 0)
            {
                context.Add($"{field}.{name}", "must be non-negative");
            }
        }
        if (hash.Maglev)
        {
            if (hash.MaglevTableSize is null or 0)
            {
                context.Add(field + ".maglev.tableSize", "is required for maglev");
            }
            else if (hash.MaglevTableSize >= MaxMaglevTableSize)
            {
                context.Add(field + ".maglev.tableSize", string.Create(CultureInfo.InvariantCulture, $"must be less than {MaxMaglevTableSize}"));
            }
            else if (!IsPrime(hash.MaglevTableSize.Value))
            {
                context.Add(field + ".maglev.tableSize", string.Create(CultureInfo.InvariantCulture, $"{hash.MaglevTableSize} is not a prime number"));
            }
        }
    }

    private static void Warmup(Warmup warmup, string field, ValidationContext context)
    {
        context.Check(field + ".duration", HttpRouteRules.DurationRule(warmup.Duration));
        if (warmup.MinimumPercent is { } percent && percent is < 0 or > 100)
        {
            context.Add(field + ".minimumPercent", string.Create(CultureInfo.InvariantCulture, $"{percent} is not in range 0..100"));
        }
        if (warmup.Aggression is { } aggression && aggression <= 0)
        {
            context.Add(field + ".aggression", string.Create(CultureInfo.InvariantCulture, $"{aggression} must be greater than 0"));
        }
    }

    private static void ConnectionPool(ConnectionPool pool, string field, ValidationContext context)
    {
        if (pool.Tcp is null && pool.Http is null)
        {
            context.Add(field, "connection pool must set tcp or http");
        }
        if (pool.Tcp is { } tcp)
        {
            NonNegative(tcp.MaxConnections, field + ".tcp.maxConnections", context);
            Optional(tcp.ConnectTimeout, field + ".tcp.connectTimeout", context);
            Optional(tcp.MaxConnectionDuration, field + ".tcp.maxConnectionDuration", context);
            if (tcp.IdleTimeout is { } idle && idle < TimeSpan.Zero)
            {
                context.Add(field + ".tcp.idleTimeout", "must be non-negative");
            }
            if (tcp.Keepalive is { } keepalive)
            {
                NonNegative(keepalive.Probes, field + ".tcp.tcpKeepalive.probes", context);
                Optional(keepalive.Time, field + ".tcp.tcpKeepalive.time", context);
                Optional(keepalive.Interval, field + ".tcp.tcpKeepalive.interval", context);
            }
        }
        if (pool.Http is { } http)
        {
            NonNegative(http.Http1MaxPendingRequests, field + ".http.http1MaxPendingRequests", context);
            NonNegative(http.Http2MaxRequests, field + ".http.http2MaxRequests", context);
            NonNegative(http.MaxRequestsPerConnection, field + ".http.maxRequestsPerConnection", context);
            NonNegative(http.MaxRetries, field + ".http.maxRetries", context);
            NonNegative(http.MaxConcurrentStreams, field + ".http.maxConcurrentStreams", context);
            Optional(http.IdleTimeout, field + ".http.idleTimeout", context);
            if (http.H2UpgradePolicy is { } upgrade && upgrade is not ("DEFAULT" or "DO_NOT_UPGRADE" or "UPGRADE"))
            {
                context.Add(field + ".http.h2UpgradePolicy", $"'{upgrade}' must be DEFAULT, DO_NOT_UPGRADE or UPGRADE");
            }
            if (http.UseClientProtocol == true && http.H2UpgradePolicy == "UPGRADE")
            {
                context.Add(field + ".http.useClientProtocol", "must not be true when h2UpgradePolicy is UPGRADE");
            }
        }
    }

    private static void Outlier(OutlierDetection outlier, string field, ValidationContext context)
    {
        NonNegative(outlier.Consecutive5xxErrors, field + ".consecutive5xxErrors", context);
        NonNegative(outlier.ConsecutiveGatewayErrors, field + ".consecutiveGatewayErrors", context);
        NonNegative(outlier.ConsecutiveLocalOriginFailures, field + ".consecutiveLocalOriginFailures", context);
        if (outlier.ConsecutiveLocalOriginFailures is > 0 && !outlier.SplitExternalLocalOriginErrors)
        {
            context.Add(field + ".consecutiveLocalOriginFailures", "needs splitExternalLocalOriginErrors: true");
        }
        Optional(outlier.Interval, field + ".interval", context);
        Optional(outlier.BaseEjectionTime, field + ".baseEjectionTime", context);
        foreach (var (value, name) in new[] { (outlier.MaxEjectionPercent, "maxEjectionPercent"), (outlier.MinHealthPercent, "minHealthPercent") })
        {
            if (value is < 0 or > 100)
            {
                context.Add($"{field}.{name}", string.Create(CultureInfo.InvariantCulture, $"percentage {value} is not in range 0..100"));
            }
        }
    }

    private static void NonNegative(int? value, string field, ValidationContext context)
    {
        if (value is < 0)
        {
            context.Add(field, string.Create(CultureInfo.InvariantCulture, $"{value} must be non-negative"));
        }
    }

    private static void Optional(TimeSpan? value, string field, ValidationContext context)
    {
        if (value is { } d)
        {
            context.Check(field, HttpRouteRules.DurationRule(d));
        }
    }

    private static bool IsPrime(long n)
    {
        if (n < 2)
        {
            return false;
        }
        for (long d = 2; d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }
        return true;
    }
}
