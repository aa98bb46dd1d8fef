using System.Collections.Concurrent;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Model.Translation;

namespace Mesh.EndToEnd.Tests.Support;

/// <summary>
/// A delta ADS client that behaves like Envoy: subscribes to wildcard CDS and LDS, then to the EDS
/// of every EDS cluster and the RDS of every listener it receives; ACKs everything; and records
/// every response, so a test can assert exactly what was pushed to it.
/// </summary>
public sealed class RecordingDeltaProxy : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> _call;
    private readonly ConcurrentQueue<DeltaDiscoveryResponse> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _held = new();
    private readonly HashSet<string> _edsSubscribed = [];
    private readonly HashSet<string> _rdsSubscribed = [];
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Task _reader;

    public RecordingDeltaProxy(Uri address, Node node)
    {
        _channel = GrpcChannel.ForAddress(address);
        _call = new Envoy.Service.Discovery.V3.AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel).DeltaAggregatedResources();
        Node = node;
        _reader = Task.Run(ReadAsync);
    }

    public Node Node { get; }

    /// <summary>Every response received, in order.</summary>
    public IReadOnlyList<DeltaDiscoveryResponse> Received => [.. _received];

    public Exception? Error { get; private set; }

    /// <summary>Name → version of what the proxy holds, per type.</summary>
    public IReadOnlyDictionary<string, string> Held(string typeUrl) =>
        _held.TryGetValue(typeUrl, out var d) ? new Dictionary<string, string>(d) : [];

    public async Task StartAsync()
    {
        await SendAsync(new DeltaDiscoveryRequest { Node = Node, TypeUrl = TypeUrls.Cluster, ResourceNamesSubscribe = { "*" } });
        await SendAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Listener, ResourceNamesSubscribe = { "*" } });
    }

    /// <summary>Waits until no response has arrived for <paramref name="quiet"/>; fails after <paramref name="limit"/>.</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, TimeSpan limit)
    {
        var start = DateTime.UtcNow;
        var count = -1;
        while (DateTime.UtcNow - start < limit)
        {
            if (Error is not null)
            {
                throw new InvalidOperationException($"proxy {Node.Id}: stream failed", Error);
            }
            var now = _received.Count;
            if (now == count && now > 0)
            {
                return;
            }
            count = now;
            await Task.Delay(quiet);
        }
        throw new TimeoutException($"proxy {Node.Id}: still receiving after {limit}; {count} responses so far");
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
            // the stream ends with cancellation
        }
        _channel.Dispose();
        _send.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var r in _call.ResponseStream.ReadAllAsync())
            {
                _received.Enqueue(r);
                var held = _held.GetOrAdd(r.TypeUrl, _ => new());
                foreach (var res in r.Resources)
                {
                    held[res.Name] = res.Version;
                }
                foreach (var name in r.RemovedResources)
                {
                    held.TryRemove(name, out _);
                }
                await SendAsync(new DeltaDiscoveryRequest { TypeUrl = r.TypeUrl, ResponseNonce = r.Nonce });
                await FollowAsync(r);
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (Exception ex)
        {
            Error = ex;
        }
    }

    /// <summary>Like Envoy: clusters pull their EDS, listeners pull their RDS.</summary>
    private async Task FollowAsync(DeltaDiscoveryResponse r)
    {
        var subscribe = new List<string>();
        if (r.TypeUrl == TypeUrls.Cluster)
        {
            foreach (var res in r.Resources)
            {
                var c = Cluster.Parser.ParseFrom(res.Resource_.Value);
                var eds = c.ClusterDiscoveryTypeCase == Cluster.ClusterDiscoveryTypeOneofCase.Type && c.Type == Cluster.Types.DiscoveryType.Eds
                    ? (string.IsNullOrEmpty(c.EdsClusterConfig?.ServiceName) ? c.Name : c.EdsClusterConfig.ServiceName) : null;
                if (eds is not null && _edsSubscribed.Add(eds))
                {
                    subscribe.Add(eds);
                }
            }
            if (subscribe.Count > 0)
            {
                await SendAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint, ResourceNamesSubscribe = { subscribe } });
            }
        }
        else if (r.TypeUrl == TypeUrls.Listener)
        {
            foreach (var res in r.Resources)
            {
                var l = Listener.Parser.ParseFrom(res.Resource_.Value);
                foreach (var f in l.FilterChains.SelectMany(fc => fc.Filters))
                {
                    if (f.TypedConfig is { } any && any.Is(HttpConnectionManager.Descriptor)
                        && any.Unpack<HttpConnectionManager>().Rds is { } rds && _rdsSubscribed.Add(rds.RouteConfigName))
                    {
                        subscribe.Add(rds.RouteConfigName);
                    }
                }
            }
            if (subscribe.Count > 0)
            {
                await SendAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Route, ResourceNamesSubscribe = { subscribe } });
            }
        }
    }

    private async Task SendAsync(DeltaDiscoveryRequest request)
    {
        await _send.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(request);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>An Istio sidecar node with LABELS metadata.</summary>
    public static Node SidecarNode(string pod, string ns, string ip, IReadOnlyDictionary<string, string> labels)
    {
        var labelStruct = new Struct();
        foreach (var (k, v) in labels)
        {
            labelStruct.Fields[k] = Value.ForString(v);
        }
        var node = new Node { Id = $"sidecar~{ip}~{pod}.{ns}~{ns}.svc.cluster.local", Metadata = new Struct() };
        node.Metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        node.Metadata.Fields["LABELS"] = Value.ForStruct(labelStruct);
        node.Metadata.Fields["WORKLOAD_NAME"] = Value.ForString(labels["app"]);
        return node;
    }
}
