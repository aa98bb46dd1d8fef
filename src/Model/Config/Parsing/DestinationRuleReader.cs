using System.Collections.Immutable;

namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>DestinationRule</c>: host, subsets and their traffic policies.</summary>
internal static class DestinationRuleReader
{
    public static DestinationRule Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new DestinationRule(
            meta,
            spec.Field("host").String() ?? "",
            ReadTrafficPolicy(spec.Field("trafficPolicy")),
            [.. spec.Field("subsets").Items().Select(ReadSubset)],
            // exportTo is not applied to DestinationRules yet: left unread, so it is reported as unsupported.
            []);
    }

    private static Subset ReadSubset(YamlCursor subset) => new(
        subset.Field("name").String() ?? "",
        subset.Field("labels").StringMap(),
        ReadTrafficPolicy(subset.Field("trafficPolicy")));

    private static TrafficPolicy? ReadTrafficPolicy(YamlCursor policy) => ReadTrafficPolicy(policy, portLevel: false);

    private static TrafficPolicy? ReadTrafficPolicy(YamlCursor policy, bool portLevel)
    {
        if (!policy.Exists)
        {
            return null;
        }
        // Istio: a policy must set at least one field (a port entry: one besides its port), read or not.
        if (policy.Node is YamlDotNet.RepresentationModel.YamlMappingNode mapping && mapping.Children.Count == (portLevel ? 1 : 0))
        {
            policy.Error(portLevel ? "port traffic policy must set at least one field" : "traffic policy must set at least one field");
        }
        var loadBalancer = policy.Field("loadBalancer");
        var kind = IstioReaders.Enum(loadBalancer.Field("simple"), "load balancer",
            ("UNSPECIFIED", LoadBalancerKind.Unspecified), ("ROUND_ROBIN", LoadBalancerKind.RoundRobin), ("LEAST_REQUEST", LoadBalancerKind.LeastRequest),
            ("LEAST_CONN", LoadBalancerKind.LeastRequest), // Istio's deprecated alias of LEAST_REQUEST
            ("RANDOM", LoadBalancerKind.Random), ("PASSTHROUGH", LoadBalancerKind.Passthrough));
        var consistentHash = ReadConsistentHash(loadBalancer.Field("consistentHash"));
        if (kind is not null && consistentHash is not null)
        {
            loadBalancer.Error("set one of simple or consistentHash");
        }
        return new TrafficPolicy(kind)
        {
            ConsistentHash = consistentHash,
            Warmup = ReadWarmup(loadBalancer),
            LocalityLb = ReadLocalityLb(loadBalancer.Field("localityLbSetting")),
            ConnectionPool = ReadConnectionPool(policy.Field("connectionPool")),
            OutlierDetection = ReadOutlierDetection(policy.Field("outlierDetection")),
            Tls = ReadTls(policy.Field("tls")),
            PortLevelSettings = portLevel || !policy.Field("portLevelSettings").Exists ? [] : [.. policy.Field("portLevelSettings").Items().Select(ReadPortPolicy)],
        };
    }

    private static PortTrafficPolicy ReadPortPolicy(YamlCursor entry) =>
        new(IstioReaders.RequiredInt(entry.Field("port").Field("number")), ReadTrafficPolicy(entry, portLevel: true)!);

    private static ConsistentHash? ReadConsistentHash(YamlCursor hash)
    {
        if (!hash.Exists)
        {
            return null;
        }
        var cookie = hash.Field("httpCookie");
        var keys = new[] { hash.Field("httpHeaderName").Exists, cookie.Exists, hash.Field("useSourceIp").Exists, hash.Field("httpQueryParameterName").Exists }.Count(k => k);
        if (keys > 1)
        {
            hash.Error("set only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName");
        }
        var ring = hash.Field("ringHash");
        var maglev = hash.Field("maglev");
        if (ring.Exists && maglev.Exists)
        {
            hash.Error("set only one of ringHash or maglev");
        }
        return new ConsistentHash(
            hash.Field("httpHeaderName").String(),
            cookie.Exists ? new HttpCookie(cookie.Field("name").String() ?? "", cookie.Field("path").String(), cookie.Field("ttl").Duration()) : null,
            hash.Field("useSourceIp").Bool() ?? false,
            hash.Field("httpQueryParameterName").String(),
            Unsigned(ring.Field("minimumRingSize")),
            Unsigned(maglev.Field("tableSize")),
            maglev.Exists,
            Unsigned(hash.Field("minimumRingSize")));
    }

    private static Warmup? ReadWarmup(YamlCursor loadBalancer)
    {
        var warmup = loadBalancer.Field("warmup");
        var seconds = loadBalancer.Field("warmupDurationSecs");
        if (warmup.Exists && seconds.Exists)
        {
            loadBalancer.Error("set only one of warmup or warmupDurationSecs");
        }
        if (warmup.Exists)
        {
            var duration = warmup.Field("duration");
            if (!duration.Exists)
            {
                duration.Error("is required");
            }
            return new Warmup(duration.Duration() ?? TimeSpan.Zero, warmup.Field("minimumPercent").Double(), warmup.Field("aggression").Double());
        }
        return seconds.Duration() is { } window ? new Warmup(window, null, null) : null;
    }

    private static LocalityLbSetting? ReadLocalityLb(YamlCursor setting)
    {
        if (!setting.Exists)
        {
            return null;
        }
        var priority = setting.Field("failoverPriority");
        var result = new LocalityLbSetting(
            setting.Field("enabled").Bool(),
            [.. setting.Field("distribute").Items().Select(d => new LocalityDistribute(d.Field("from").String() ?? "", ReadWeights(d.Field("to"))))],
            [.. setting.Field("failover").Items().Select(f => new LocalityFailover(f.Field("from").String() ?? "", f.Field("to").String() ?? ""))],
            [.. priority.Items().Select(p => p.String() ?? "")]);
        if (priority.Exists)
        {
            priority.NotTranslated(); // validated as Istio; label-based priorities are not applied yet
        }
        return result;
    }

    private static ImmutableSortedDictionary<string, int> ReadWeights(YamlCursor to)
    {
        var weights = ImmutableSortedDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in to.Entries())
        {
            weights[key] = value.Int() ?? 0;
        }
        return weights.ToImmutable();
    }

    private static ClientTls? ReadTls(YamlCursor tls)
    {
        if (!tls.Exists)
        {
            return null;
        }
        var kind = IstioReaders.Enum(tls.Field("mode"), "TLS mode",
            ("DISABLE", ClientTlsMode.Disable), ("SIMPLE", ClientTlsMode.Simple), ("MUTUAL", ClientTlsMode.Mutual), ("ISTIO_MUTUAL", ClientTlsMode.IstioMutual))
            ?? ClientTlsMode.Disable;
        if (kind is ClientTlsMode.Simple or ClientTlsMode.Mutual && tls.Field("credentialName").Exists)
        {
            tls.Field("credentialName").NotTranslated(); // Mesh serves no SDS secrets yet: no TLS origination from a credential
        }
        return new ClientTls(
            kind,
            tls.Field("clientCertificate").String(),
            tls.Field("privateKey").String(),
            tls.Field("caCertificates").String(),
            tls.Field("caCrl").String(),
            tls.Field("credentialName").String(),
            [.. tls.Field("subjectAltNames").Items().Select(n => n.String() ?? "")],
            tls.Field("sni").String(),
            tls.Field("insecureSkipVerify").Bool() ?? false);
    }

    private static ConnectionPool? ReadConnectionPool(YamlCursor pool)
    {
        if (!pool.Exists)
        {
            return null;
        }
        var tcp = pool.Field("tcp");
        var http = pool.Field("http");
        var keepalive = tcp.Field("tcpKeepalive");
        return new ConnectionPool(
            tcp.Exists
                ? new TcpPool(
                    tcp.Field("maxConnections").Int(),
                    tcp.Field("connectTimeout").Duration(),
                    tcp.Field("maxConnectionDuration").Duration(),
                    tcp.Field("idleTimeout").Duration(),
                    keepalive.Exists ? new TcpKeepalive(keepalive.Field("probes").Int(), keepalive.Field("time").Duration(), keepalive.Field("interval").Duration()) : null)
                : null,
            http.Exists
                ? new HttpPool(
                    http.Field("http1MaxPendingRequests").Int(),
                    http.Field("http2MaxRequests").Int(),
                    http.Field("maxRequestsPerConnection").Int(),
                    http.Field("maxRetries").Int(),
                    http.Field("idleTimeout").Duration(),
                    http.Field("h2UpgradePolicy").String(),
                    http.Field("useClientProtocol").Bool(),
                    http.Field("maxConcurrentStreams").Int())
                : null);
    }

    private static OutlierDetection? ReadOutlierDetection(YamlCursor detection) =>
        detection.Exists
            ? new OutlierDetection(
                detection.Field("consecutive5xxErrors").Int(),
                detection.Field("consecutiveGatewayErrors").Int(),
                detection.Field("consecutiveLocalOriginFailures").Int(),
                detection.Field("splitExternalLocalOriginErrors").Bool() ?? false,
                detection.Field("interval").Duration(),
                detection.Field("baseEjectionTime").Duration(),
                detection.Field("maxEjectionPercent").Int(),
                detection.Field("minHealthPercent").Int())
            : null;

    private static long? Unsigned(YamlCursor value) => value.Int();
}
