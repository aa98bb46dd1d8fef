using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Lb = Envoy.Extensions.LoadBalancingPolicies;
using Upstream = Envoy.Extensions.Upstreams.Http.V3;

namespace Mesh.Model.Translation;

/// <summary>
/// A DestinationRule's traffic policy on an outbound cluster, field by field as Istio sets it:
/// load balancer, circuit breakers (connectionPool), outlier detection, TCP and HTTP connection options.
/// </summary>
internal static class ClusterTrafficPolicy
{
    /// <summary>Istio's circuit-breaker default for every threshold it does not set: no limit.</summary>
    public const uint Unlimited = uint.MaxValue;

    /// <summary>
    /// The load-balancing policy as an ordered list, the first a client supports wins: the policy
    /// the rule asks for, then round robin. Envoy supports every entry; gRPC clients that read this
    /// field (gRFC A52: grpc-js, C-core 1.55+) take ring hash or fall back to round robin for the
    /// rest, and older gRPC clients ignore the field and read <c>lb_policy</c> (round robin) — so
    /// gRPC C-core 1.51, which crashes on RING_HASH (grpc/grpc#31766) and NACKs RANDOM, never
    /// sees either. Null for plain round robin without warmup.
    /// </summary>
    public static LoadBalancingPolicy? LoadBalancing(ClusterPolicy policy)
    {
        var result = new LoadBalancingPolicy();
        if (policy.Hash is { } hash)
        {
            if (hash.Maglev)
            {
                result.Policies.Add(Entry("envoy.load_balancing_policies.maglev", new Lb.Maglev.V3.Maglev { TableSize = hash.MaglevTableSize is > 0 and var size ? (ulong)size : null }));
            }
            else
            {
                // The hash function is explicit: this extension's default (DEFAULT_HASH) is not one gRPC
                // knows, and grpc-js NACKs it. No ring size: grpc-js 1.14 reads it as text and NACKs
                // any, so every client gets the default 1024 (a set size is reported on the rule).
                result.Policies.Add(Entry("envoy.load_balancing_policies.ring_hash", new Lb.RingHash.V3.RingHash
                {
                    HashFunction = Lb.RingHash.V3.RingHash.Types.HashFunction.XxHash,
                }));
            }
        }
        else
        {
            switch (policy.Simple)
            {
                case LoadBalancerKind.LeastRequest:
                    result.Policies.Add(Entry("envoy.load_balancing_policies.least_request", new Lb.LeastRequest.V3.LeastRequest { SlowStartConfig = SlowStart(policy.Warmup) }));
                    break;
                case LoadBalancerKind.Random:
                    result.Policies.Add(Entry("envoy.load_balancing_policies.random", new Lb.Random.V3.Random()));
                    break;
                default:
                    if (policy.Warmup is null)
                    {
                        return null;
                    }
                    break;
            }
        }
        result.Policies.Add(Entry("envoy.load_balancing_policies.round_robin", new Lb.RoundRobin.V3.RoundRobin { SlowStartConfig = policy.Hash is null ? SlowStart(policy.Warmup) : null }));
        return result;
    }

    /// <summary>Circuit breakers (always, as Istio: unset thresholds unlimited), connect timeout, keepalive and outlier detection.</summary>
    public static void Apply(Cluster cluster, ClusterPolicy policy)
    {
        var tcp = policy.Pool?.Tcp;
        var http = policy.Pool?.Http;
        cluster.CircuitBreakers = new CircuitBreakers
        {
            Thresholds =
            {
                new CircuitBreakers.Types.Thresholds
                {
                    MaxConnections = Limit(tcp?.MaxConnections),
                    MaxPendingRequests = Limit(http?.Http1MaxPendingRequests),
                    MaxRequests = Limit(http?.Http2MaxRequests),
                    MaxRetries = Limit(http?.MaxRetries),
                },
            },
        };
        if (tcp?.ConnectTimeout is { } connect)
        {
            cluster.ConnectTimeout = Duration.FromTimeSpan(connect);
        }
        if (tcp?.Keepalive is { } keepalive)
        {
            var options = new Envoy.Config.Core.V3.TcpKeepalive();
            if (keepalive.Probes is { } probes)
            {
                options.KeepaliveProbes = (uint)probes;
            }
            if (keepalive.Time is { } time)
            {
                options.KeepaliveTime = (uint)time.TotalSeconds;
            }
            if (keepalive.Interval is { } interval)
            {
                options.KeepaliveInterval = (uint)interval.TotalSeconds;
            }
            cluster.UpstreamConnectionOptions = new UpstreamConnectionOptions { TcpKeepalive = options };
        }
        if (policy.Outlier is { } outlier)
        {
            cluster.OutlierDetection = Outlier(outlier);
            cluster.CommonLbConfig = new Cluster.Types.CommonLbConfig
            {
                HealthyPanicThreshold = new Envoy.Type.V3.Percent { Value = outlier.MinHealthPercent ?? 0 },
            };
        }
        if (LocalityLoadBalancing.Plan(policy) is { WeightsLocalities: true })
        {
            // As Istio: a distribute rule or an explicit failover weighs localities.
            cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig();
            cluster.CommonLbConfig.LocalityWeightedLbConfig = new Cluster.Types.CommonLbConfig.Types.LocalityWeightedLbConfig();
        }
    }

    /// <summary>
    /// The upstream HTTP options: HTTP/2 for gRPC and HTTP/2 ports (or <c>h2UpgradePolicy: UPGRADE</c>),
    /// the client's protocol for <c>useClientProtocol</c>, and the pool's idle timeout, request and
    /// duration limits. Null when nothing differs from Envoy's defaults.
    /// </summary>
    public static Upstream.HttpProtocolOptions? ProtocolOptions(Protocol protocol, ConnectionPool? pool, ClientTls? tls = null)
    {
        var http = pool?.Http;
        var http2 = IsHttp2(protocol, pool);
        var (autoSni, autoSan) = ClusterTls.Auto(tls);
        var common = new HttpProtocolOptions();
        var hasCommon = false;
        if (http?.IdleTimeout is { } idle)
        {
            common.IdleTimeout = Duration.FromTimeSpan(idle);
            hasCommon = true;
        }
        if (http?.MaxRequestsPerConnection is > 0 and var perConnection)
        {
            common.MaxRequestsPerConnection = (uint)perConnection;
            hasCommon = true;
        }
        if (pool?.Tcp?.MaxConnectionDuration is { } duration)
        {
            common.MaxConnectionDuration = Duration.FromTimeSpan(duration);
            hasCommon = true;
        }
        if (!http2 && !hasCommon && http?.UseClientProtocol != true && !autoSni)
        {
            return null;
        }
        var http2Options = new Http2ProtocolOptions();
        if (http?.MaxConcurrentStreams is > 0 and var streams)
        {
            http2Options.MaxConcurrentStreams = (uint)streams;
        }
        var options = new Upstream.HttpProtocolOptions { CommonHttpProtocolOptions = hasCommon ? common : null };
        if (autoSni)
        {
            options.UpstreamHttpProtocolOptions = new UpstreamHttpProtocolOptions { AutoSni = true, AutoSanValidation = autoSan };
        }
        if (http?.UseClientProtocol == true)
        {
            options.UseDownstreamProtocolConfig = new Upstream.HttpProtocolOptions.Types.UseDownstreamHttpConfig
            {
                HttpProtocolOptions = new Http1ProtocolOptions(),
                Http2ProtocolOptions = http2Options,
            };
        }
        else
        {
            options.ExplicitHttpConfig = http2
                ? new Upstream.HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = http2Options }
                : new Upstream.HttpProtocolOptions.Types.ExplicitHttpConfig { HttpProtocolOptions = new Http1ProtocolOptions() };
        }
        return options;
    }

    /// <summary>Whether the cluster speaks HTTP/2 upstream: a gRPC or HTTP/2 port, or <c>h2UpgradePolicy: UPGRADE</c>.</summary>
    public static bool IsHttp2(Protocol protocol, ConnectionPool? pool) =>
        protocol.IsHttp2() || string.Equals(pool?.Http?.H2UpgradePolicy, "UPGRADE", StringComparison.Ordinal);

    private static Envoy.Config.Cluster.V3.OutlierDetection Outlier(Config.OutlierDetection outlier)
    {
        var result = new Envoy.Config.Cluster.V3.OutlierDetection { EnforcingSuccessRate = 0 };
        if (outlier.Consecutive5xxErrors is { } errors)
        {
            result.Consecutive5Xx = (uint)errors;
            result.EnforcingConsecutive5Xx = errors > 0 ? 100u : 0u;
        }
        if (outlier.ConsecutiveGatewayErrors is { } gateway)
        {
            result.ConsecutiveGatewayFailure = (uint)gateway;
            result.EnforcingConsecutiveGatewayFailure = gateway > 0 ? 100u : 0u;
        }
        if (outlier.Interval is { } interval)
        {
            result.Interval = Duration.FromTimeSpan(interval);
        }
        if (outlier.BaseEjectionTime is { } ejection)
        {
            result.BaseEjectionTime = Duration.FromTimeSpan(ejection);
        }
        if (outlier.MaxEjectionPercent is > 0 and var max)
        {
            result.MaxEjectionPercent = (uint)max;
        }
        if (outlier.SplitExternalLocalOriginErrors)
        {
            result.SplitExternalLocalOriginErrors = true;
            result.EnforcingLocalOriginSuccessRate = 0;
            if (outlier.ConsecutiveLocalOriginFailures is > 0 and var local)
            {
                result.ConsecutiveLocalOriginFailure = (uint)local;
                result.EnforcingConsecutiveLocalOriginFailure = 100;
            }
        }
        return result;
    }

    /// <summary>Istio's warmup as Envoy's slow start: aggression 1.0 and 10% minimum weight unless set.</summary>
    private static Lb.Common.V3.SlowStartConfig? SlowStart(Warmup? warmup) =>
        warmup is null
            ? null
            : new Lb.Common.V3.SlowStartConfig
            {
                SlowStartWindow = Duration.FromTimeSpan(warmup.Duration),
                Aggression = new RuntimeDouble { DefaultValue = warmup.Aggression ?? 1.0, RuntimeKey = "mesh.warmup_aggression" },
                MinWeightPercent = new Envoy.Type.V3.Percent { Value = warmup.MinimumPercent ?? 10 },
            };

    private static uint? Limit(int? value) => value is > 0 ? (uint)value.Value : Unlimited;

    private static LoadBalancingPolicy.Types.Policy Entry(string name, Google.Protobuf.IMessage config) =>
        new() { TypedExtensionConfig = new TypedExtensionConfig { Name = name, TypedConfig = Any.Pack(config) } };
}
