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
        if (policy.LocalityLb is { } locality)
        {
            LocalityLb(locality, field + ".loadBalancer.localityLbSetting", context);
        }
        if (policy.ConnectionPool is { } pool)
        {
            ConnectionPool(pool, field + ".connectionPool", context);
        }
        if (policy.OutlierDetection is { } outlier)
        {
            Outlier(outlier, field + ".outlierDetection", context);
        }
        if (policy.Tls is { } tls)
        {
            Tls(tls, field + ".tls", context);
        }
    }

    /// <summary>Istio's <c>ValidateTLS</c> for a client's TLS settings.</summary>
    private static void Tls(ClientTls tls, string field, ValidationContext context)
    {
        static bool Set(string? value) => !string.IsNullOrEmpty(value);
        var sans = !tls.SubjectAltNames.IsDefaultOrEmpty;
        if (tls.InsecureSkipVerify)
        {
            if (tls.Mode == ClientTlsMode.Simple && (Set(tls.CaCertificates) || Set(tls.CredentialName) || sans))
            {
                context.Add(field, "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
            }
            if (tls.Mode == ClientTlsMode.Mutual && (Set(tls.CaCertificates) || sans))
            {
                context.Add(field, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
            }
        }
        if (tls.Mode is ClientTlsMode.Simple or ClientTlsMode.Mutual && Set(tls.CredentialName))
        {
            if (Set(tls.ClientCertificate) || Set(tls.CaCertificates) || Set(tls.PrivateKey) || Set(tls.CaCrl))
            {
                context.Add(field, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
            }
            return;
        }
        if (tls.Mode == ClientTlsMode.Mutual)
        {
            if (!Set(tls.ClientCertificate))
            {
                context.Add(field + ".clientCertificate", "client certificate required for mutual tls");
            }
            if (!Set(tls.PrivateKey))
            {
                context.Add(field + ".privateKey", "private key required for mutual tls");
            }
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
            else if (tcp.IdleTimeout is { } set && (long)set.TotalMilliseconds != 0)
            {
                // As Istio: under 1 ms (0s included) disables the timeout; anything else is a duration.
                Optional(set, field + ".tcp.idleTimeout", context);
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

    /// <summary>Istio's <c>ValidateLocalityLbSetting</c>: its checks and messages, with the field of each.</summary>
    private static void LocalityLb(LocalityLbSetting setting, string field, ValidationContext context)
    {
        var distribute = setting.Distribute.IsDefault ? [] : setting.Distribute;
        var failover = setting.Failover.IsDefault ? [] : setting.Failover;
        var priority = setting.FailoverPriority.IsDefault ? [] : setting.FailoverPriority;
        if (distribute.Length > 0 && failover.Length > 0)
        {
            context.Add(field, "can not simultaneously specify 'distribute' and 'failover'");
            return;
        }
        if (failover.Length > 0 && priority.FirstOrDefault(l => l is NodeObject.RegionLabel or NodeObject.ZoneLabel or NodeObject.SubZoneLabel) is { } topology)
        {
            context.Add(field + ".failoverPriority", $"can not simultaneously set 'failover' and topology label '{topology}' in 'failover_priority'");
            return;
        }
        for (var i = 0; i < distribute.Length; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}.distribute[{i}].to");
            if (distribute[i].To.Values.Any(w => w is <= 0 or > 100))
            {
                context.Add(at, "locality weight must be in range [1, 100]");
                return;
            }
            if (distribute[i].To.Values.Sum() is var total && total != 100)
            {
                context.Add(at, string.Create(CultureInfo.InvariantCulture, $"total locality weight {total} != 100"));
                return;
            }
            if (LocalitiesError(distribute[i].To.Keys) is { } error)
            {
                context.Add(at, error);
            }
        }
        if (LocalitiesError(distribute.Select(d => d.From)) is { } fromError)
        {
            context.Add(field + ".distribute", fromError);
        }
        for (var i = 0; i < failover.Length; i++)
        {
            var (from, to) = (failover[i].From, failover[i].To);
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}.failover[{i}]");
            if (from == to)
            {
                context.Add(at, "locality lb failover settings must specify different regions");
            }
            if (from.Contains('/', StringComparison.Ordinal) || to.Contains('/', StringComparison.Ordinal))
            {
                context.Add(at, "locality lb failover only specify region");
            }
            if (from.Contains('*', StringComparison.Ordinal) || to.Contains('*', StringComparison.Ordinal))
            {
                context.Add(at, "locality lb failover region should not contain '*' wildcard");
            }
        }
    }

    /// <summary>
    /// Istio's <c>validateLocalities</c>: <c>region[/zone[/subzone]]</c>, no empty part, at most one
    /// <c>*</c> and only at the end, and no locality that an earlier one already covers.
    /// </summary>
    private static string? LocalitiesError(IEnumerable<string> localities)
    {
        var seen = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (var locality in localities)
        {
            var stars = locality.Count(c => c == '*');
            if (stars > 1 || (stars == 1 && !locality.EndsWith('*')))
            {
                return $"locality {locality} wildcard '*' number can not exceed 1 and must be in the end";
            }
            if (seen.ContainsKey("*"))
            {
                return $"locality {locality} overlap with previous specified ones";
            }
            var parts = locality.Split('/', 3);
            if (parts.Any(p => p.Length == 0))
            {
                return $"locality {locality} must not contain empty region/zone/subzone info";
            }
            var overlap = $"locality {locality} overlap with previous specified ones";
            var region = parts[0];
            switch (parts.Length)
            {
                case 1:
                    if (!seen.TryAdd(region, new(StringComparer.Ordinal) { ["*"] = ["*"] }))
                    {
                        return overlap;
                    }
                    break;
                case 2:
                    if (seen.TryGetValue(region, out var zones))
                    {
                        if (zones.ContainsKey("*") || !zones.TryAdd(parts[1], ["*"]))
                        {
                            return overlap;
                        }
                    }
                    else
                    {
                        seen[region] = new(StringComparer.Ordinal) { [parts[1]] = ["*"] };
                    }
                    break;
                default:
                    if (seen.TryGetValue(region, out var regionZones))
                    {
                        if (regionZones.ContainsKey("*"))
                        {
                            return overlap;
                        }
                        if (regionZones.TryGetValue(parts[1], out var subZones))
                        {
                            if (subZones.Contains("*") || !subZones.Add(parts[2]))
                            {
                                return overlap;
                            }
                        }
                        else
                        {
                            regionZones[parts[1]] = [parts[2]];
                        }
                    }
                    else
                    {
                        seen[region] = new(StringComparer.Ordinal) { [parts[1]] = [parts[2]] };
                    }
                    break;
            }
        }
        return null;
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
