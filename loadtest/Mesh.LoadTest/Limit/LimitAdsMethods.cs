using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// Binds the two ADS methods to <see cref="LimitHub"/> with a pass-through response marshaller:
/// the hub hands over already serialized <c>DiscoveryResponse</c>/<c>DeltaDiscoveryResponse</c>
/// bytes and gRPC only frames them. Requests are parsed with the generated parsers.
/// </summary>
internal sealed class LimitAdsMethods : IServiceMethodProvider<LimitHub>
{
    private const string Service = "envoy.service.discovery.v3.AggregatedDiscoveryService";
    private static readonly Marshaller<byte[]> Serialized = Marshallers.Create(bytes => bytes, bytes => bytes);

    private static readonly Method<DiscoveryRequest, byte[]> Sotw =
        new(MethodType.DuplexStreaming, Service, "StreamAggregatedResources", Parsed(DiscoveryRequest.Parser), Serialized);

    private static readonly Method<DeltaDiscoveryRequest, byte[]> Delta =
        new(MethodType.DuplexStreaming, Service, "DeltaAggregatedResources", Parsed(DeltaDiscoveryRequest.Parser), Serialized);

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<LimitHub> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddDuplexStreamingMethod(Sotw, [], (hub, requests, responses, call) =>
            hub.ServeAsync(requests, responses, call, delta: false, r => (r.TypeUrl, r.ResponseNonce.Length > 0)));
        context.AddDuplexStreamingMethod(Delta, [], (hub, requests, responses, call) =>
            hub.ServeAsync(requests, responses, call, delta: true, r => (r.TypeUrl, r.ResponseNonce.Length > 0)));
    }

    private static Marshaller<T> Parsed<T>(MessageParser<T> parser)
        where T : IMessage<T> =>
        Marshallers.Create<T>((message, context) => context.Complete(message.ToByteArray()), context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
