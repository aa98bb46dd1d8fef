using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Model.Translation;

namespace Mesh.Testing;

/// <summary>
/// A scripted xDS client over a real gRPC channel, a port of Istio's <c>adstest.go</c> (AdsTest and
/// DeltaAdsTest): send requests, expect a response or none within a window, ACK and NACK. One SotW
/// and one delta stream, each opened on first use; the node goes on each stream's first request.
/// </summary>
public sealed class AdsTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultQuietWindow = TimeSpan.FromMilliseconds(200);

    private readonly GrpcChannel _channel;
    private readonly AggregatedDiscoveryService.AggregatedDiscoveryServiceClient _client;
    private readonly Dictionary<string, IReadOnlyList<string>> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _accepted = new(StringComparer.Ordinal);
    private AdsStream<DiscoveryRequest, DiscoveryResponse>? _sotw;
    private AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>? _delta;

    public AdsTestClient(Uri address, Node node)
    {
        _channel = GrpcChannel.ForAddress(address);
        _client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
        Node = node;
    }

    public Node Node { get; }

    private AdsStream<DiscoveryRequest, DiscoveryResponse> Sotw =>
        _sotw ??= new(_client.StreamAggregatedResources(), "sotw");

    private AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> Delta =>
        _delta ??= new(_client.DeltaAggregatedResources(), "delta");

    // ---- State of the world ----

    /// <summary>Sends a SotW request; <paramref name="node"/> overrides the node (the stream's first request gets <see cref="Node"/> anyway).</summary>
    public Task RequestAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "", Node? node = null)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce, Node = node };
        var list = (names ?? []).ToList();
        request.ResourceNames.AddRange(list);
        _names[typeUrl] = list;
        return SendAsync(request);
    }

    /// <summary>Sends a request as given, adding the node if it is the stream's first.</summary>
    public Task SendAsync(DiscoveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Sotw.Started && request.Node is null)
        {
            request.Node = Node;
        }

        return Sotw.SendAsync(request);
    }

    /// <summary>Awaits the next SotW response; fails if none arrives in time or it is of another type.</summary>
    public async Task<DiscoveryResponse> ExpectResponseAsync(string? typeUrl = null, TimeSpan? timeout = null)
    {
        var phase = $"ExpectResponse type={Short(typeUrl)}";
        var response = await Sotw.ExpectAsync(phase, timeout ?? DefaultTimeout).ConfigureAwait(false);
        if (typeUrl is not null && response.TypeUrl != typeUrl)
        {
            throw new XdsExpectationException($"[sotw {phase}] expected type {Short(typeUrl)}, got {Describe(response)}");
        }

        return response;
    }

    public Task ExpectNoResponseAsync(TimeSpan? window = null) =>
        Sotw.ExpectNoneAsync("ExpectNoResponse", window ?? DefaultQuietWindow, Describe);

    /// <summary>ACKs a response with the names last requested for its type, or <paramref name="names"/>.</summary>
    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        _accepted[response.TypeUrl] = response.VersionInfo;
        return RequestAsync(response.TypeUrl, names ?? _names.GetValueOrDefault(response.TypeUrl), response.VersionInfo, response.Nonce);
    }

    /// <summary>NACKs a response: <c>error_detail</c> set, <c>version_info</c> the last accepted version (X-07).</summary>
    public Task NackAsync(DiscoveryResponse response, string message = "rejected by test")
    {
        ArgumentNullException.ThrowIfNull(response);
        var request = new DiscoveryRequest
        {
            TypeUrl = response.TypeUrl,
            VersionInfo = _accepted.GetValueOrDefault(response.TypeUrl, ""),
            ResponseNonce = response.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = message },
        };
        request.ResourceNames.AddRange(_names.GetValueOrDefault(response.TypeUrl) ?? []);
        return SendAsync(request);
    }

    public Task<RpcException> ExpectErrorAsync(StatusCode code, TimeSpan? timeout = null) =>
        Sotw.ExpectErrorAsync(code, timeout ?? DefaultTimeout, Describe);

    // ---- Delta ----

    /// <summary>Sends a delta request as given, adding the node if it is the stream's first.</summary>
    public Task DeltaRequestAsync(DeltaDiscoveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Delta.Started && request.Node is null)
        {
            request.Node = Node;
        }

        return Delta.SendAsync(request);
    }

    public Task SubscribeAsync(string typeUrl, params string[] names)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl };
        request.ResourceNamesSubscribe.AddRange(names);
        return DeltaRequestAsync(request);
    }

    public Task UnsubscribeAsync(string typeUrl, params string[] names)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl };
        request.ResourceNamesUnsubscribe.AddRange(names);
        return DeltaRequestAsync(request);
    }

    public async Task<DeltaDiscoveryResponse> ExpectDeltaAsync(string? typeUrl = null, TimeSpan? timeout = null)
    {
        var phase = $"ExpectDelta type={Short(typeUrl)}";
        var response = await Delta.ExpectAsync(phase, timeout ?? DefaultTimeout).ConfigureAwait(false);
        if (typeUrl is not null && response.TypeUrl != typeUrl)
        {
            throw new XdsExpectationException($"[delta {phase}] expected type {Short(typeUrl)}, got {Describe(response)}");
        }

        return response;
    }

    public Task ExpectNoDeltaAsync(TimeSpan? window = null) =>
        Delta.ExpectNoneAsync("ExpectNoDelta", window ?? DefaultQuietWindow, Describe);

    public Task DeltaAckAsync(DeltaDiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return DeltaRequestAsync(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce });
    }

    public Task DeltaNackAsync(DeltaDiscoveryResponse response, string message = "rejected by test")
    {
        ArgumentNullException.ThrowIfNull(response);
        return DeltaRequestAsync(new DeltaDiscoveryRequest
        {
            TypeUrl = response.TypeUrl,
            ResponseNonce = response.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = message },
        });
    }

    public Task<RpcException> ExpectDeltaErrorAsync(StatusCode code, TimeSpan? timeout = null) =>
        Delta.ExpectErrorAsync(code, timeout ?? DefaultTimeout, Describe);

    public async ValueTask DisposeAsync()
    {
        if (_sotw is not null)
        {
            await _sotw.DisposeAsync().ConfigureAwait(false);
        }

        if (_delta is not null)
        {
            await _delta.DisposeAsync().ConfigureAwait(false);
        }

        _channel.Dispose();
    }

    public static string Describe(DiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return $"{Short(response.TypeUrl)} version={response.VersionInfo} nonce={response.Nonce} resources={response.Resources.Count}";
    }

    public static string Describe(DeltaDiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return $"{Short(response.TypeUrl)} nonce={response.Nonce} resources=[{string.Join(",", response.Resources.Select(r => r.Name))}] removed=[{string.Join(",", response.RemovedResources)}]";
    }

    private static string Short(string? typeUrl) => typeUrl is null ? "any" : TypeUrls.ShortName(typeUrl);
}
