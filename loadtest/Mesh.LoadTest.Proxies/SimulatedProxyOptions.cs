using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// One simulated proxy: who it is (<see cref="Node"/>), how it speaks (<see cref="Mode"/>), where it
/// may connect (<see cref="Gateways"/>, tried in order, round-robin on failure) and how it
/// misbehaves on purpose (<see cref="NackWhen"/>).
/// </summary>
public sealed record SimulatedProxyOptions
{
    public required Node Node { get; init; }

    public ProxyMode Mode { get; init; } = ProxyMode.Delta;

    /// <summary>Gateway addresses (<c>http://host:port</c>, h2c). The first stream goes to the first; each failure moves to the next.</summary>
    public required IReadOnlyList<Uri> Gateways { get; init; }

    /// <summary>
    /// Null for an Envoy sidecar (wildcard LDS and CDS). For a proxyless gRPC client, the listener
    /// names it resolves (<c>host:port</c>); CDS then follows the clusters its routes name.
    /// </summary>
    public IReadOnlyList<string>? ListenerNames { get; init; }

    /// <summary>Returns true to NACK a response (the proxy then keeps what it had, as Envoy does).</summary>
    public Func<XdsResponseInfo, bool>? NackWhen { get; init; }

    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive streams that end without a single response before the proxy gives up.</summary>
    public int MaxConnectAttempts { get; init; } = 30;

    /// <summary>Shared channels per address (a swarm's); null: the proxy opens its own channel, one per stream, like an Envoy.</summary>
    public Func<Uri, GrpcChannel>? Channels { get; init; }

    /// <summary>
    /// The HTTP/2 <c>:authority</c> to send instead of the address's host:port (Envoy sends its
    /// xDS cluster name; a relay or L4 balancer in between changes the port). Ignored with <see cref="Channels"/>.
    /// </summary>
    public string? Authority { get; init; }

    /// <summary>Shares name and version strings between proxies; null: every proxy keeps its own.</summary>
    public StringPool? Strings { get; init; }

    /// <summary>Called (on the proxy's stream task) for every resource applied or removed.</summary>
    public Action<ResourceUpdate>? OnUpdate { get; init; }

    /// <summary>Seed of the backoff jitter; null: a random seed.</summary>
    public int? Seed { get; init; }

    /// <summary>An Istio sidecar node: id <c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>, NAMESPACE, LABELS and WORKLOAD_NAME.</summary>
    public static Node SidecarNode(string pod, string ns, string ip, IReadOnlyDictionary<string, string> labels, string? workloadName = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var labelStruct = new Struct();
        foreach (var (k, v) in labels)
        {
            labelStruct.Fields[k] = Value.ForString(v);
        }
        var node = IstioNode(pod, ns, ip);
        node.Metadata.Fields["LABELS"] = Value.ForStruct(labelStruct);
        node.Metadata.Fields["WORKLOAD_NAME"] = Value.ForString(workloadName ?? (labels.TryGetValue("app", out var app) ? app : pod));
        return node;
    }

    /// <summary>A proxyless gRPC client node: the sidecar id form with metadata GENERATOR=grpc and NAMESPACE.</summary>
    public static Node ProxylessNode(string pod, string ns, string ip)
    {
        var node = IstioNode(pod, ns, ip);
        node.Metadata.Fields["GENERATOR"] = Value.ForString("grpc");
        return node;
    }

    private static Node IstioNode(string pod, string ns, string ip)
    {
        var node = new Node { Id = $"sidecar~{ip}~{pod}.{ns}~{ns}.svc.cluster.local", Metadata = new Struct() };
        node.Metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        return node;
    }
}
