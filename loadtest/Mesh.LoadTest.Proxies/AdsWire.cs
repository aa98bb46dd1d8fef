using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// The two ADS methods with the simulated proxy's own response side: requests are the generated
/// messages, responses are read by <see cref="WireResponse"/> instead of being parsed whole. One
/// instance of each method for the process (a channel caches per method object).
/// </summary>
internal static class AdsWire
{
    private const string Service = "envoy.service.discovery.v3.AggregatedDiscoveryService";

    public static readonly Method<DiscoveryRequest, WireResponse> Sotw = new(
        MethodType.DuplexStreaming, Service, "StreamAggregatedResources", Requests(DiscoveryRequest.Parser), Marshallers.Create(Unused, WireResponse.ReadSotw));

    public static readonly Method<DeltaDiscoveryRequest, WireResponse> Delta = new(
        MethodType.DuplexStreaming, Service, "DeltaAggregatedResources", Requests(DeltaDiscoveryRequest.Parser), Marshallers.Create(Unused, WireResponse.ReadDelta));

    private static Marshaller<T> Requests<T>(MessageParser<T> parser)
        where T : IMessage<T>, IBufferMessage => Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static void Unused(WireResponse response, SerializationContext context) =>
        throw new NotSupportedException("the simulated proxy only reads responses");
}
