using System.Buffers;
using Grpc.Core;

namespace Mesh.LoadTest.Proxies;

/// <summary>One resource of a response: its name, its version (delta; empty for SotW, whose resources carry none) and its bytes, a slice of the response's buffer.</summary>
internal readonly record struct WireResource(string Name, string Version, ReadOnlyMemory<byte> Body);

/// <summary>
/// A <c>DiscoveryResponse</c> or <c>DeltaDiscoveryResponse</c> as the simulated proxy uses it, read
/// from the wire into one pooled buffer: the envelope's strings, and each resource as a slice of
/// that buffer (no per-resource copy). Dispose returns the buffer; slices are invalid after that.
/// Fields (discovery.proto): DiscoveryResponse version_info 1, resources 2 (Any: type_url 1,
/// value 2), type_url 4, nonce 5; DeltaDiscoveryResponse system_version_info 1, resources 2,
/// type_url 4, nonce 5, removed_resources 6, removed_resource_names 8 (ResourceName: name 1);
/// Resource version 1, resource 2 (Any), name 3, resource_name 8 (ResourceName). For a field given
/// twice the last wins, and a message field given twice merges, as a protobuf parser reads them.
/// </summary>
internal sealed class WireResponse : IDisposable
{
    private byte[]? _buffer;

    private WireResponse(byte[] buffer)
    {
        _buffer = buffer;
    }

    public string TypeUrl { get; private set; } = "";

    /// <summary>SotW <c>version_info</c>, delta <c>system_version_info</c>.</summary>
    public string Version { get; private set; } = "";

    public string Nonce { get; private set; } = "";

    public List<WireResource> Resources { get; } = [];

    /// <summary>Delta only: the names in <c>removed_resources</c>, then those in <c>removed_resource_names</c>.</summary>
    public List<string> Removed { get; } = [];

    public static WireResponse ReadSotw(DeserializationContext context) => Read(Payload(context), delta: false);

    public static WireResponse ReadDelta(DeserializationContext context) => Read(Payload(context), delta: true);

    /// <summary>Copies <paramref name="payload"/> into a pooled buffer and reads it.</summary>
    public static WireResponse Read(ReadOnlySequence<byte> payload, bool delta)
    {
        var length = checked((int)payload.Length);
        var response = new WireResponse(ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)));
        try
        {
            payload.CopyTo(response._buffer);
            response.ReadEnvelope(length, delta);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySequence<byte> Payload(DeserializationContext context) => context.PayloadAsReadOnlySequence();

    private void ReadEnvelope(int length, bool delta)
    {
        var memory = new ReadOnlyMemory<byte>(_buffer, 0, length);
        var reader = new WireReader(memory.Span);
        while (reader.Next())
        {
            if (!reader.IsLengthDelimited)
            {
                reader.Skip(); // every field read here is length-delimited; another wire type is an unknown field
                continue;
            }
            switch (reader.FieldNumber, delta)
            {
                case (1, _):
                    Version = reader.ReadString();
                    break;
                case (2, false):
                    var (anyOffset, anyLength) = reader.ReadRange();
                    var value = AnyValueOrNull(memory.Slice(anyOffset, anyLength)) ?? ReadOnlyMemory<byte>.Empty;
                    Resources.Add(new WireResource(ResourceLinks.Name(value.Span), "", value));
                    break;
                case (2, true):
                    var (offset, count) = reader.ReadRange();
                    Resources.Add(DeltaResource(memory.Slice(offset, count)));
                    break;
                case (4, _):
                    TypeUrl = reader.ReadString();
                    break;
                case (5, _):
                    Nonce = reader.ReadString();
                    break;
                case (6, true):
                    Removed.Add(reader.ReadString());
                    break;
                case (8, true):
                    Removed.Add(ResourceNameOf(reader.ReadBytes()));
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static WireResource DeltaResource(ReadOnlyMemory<byte> resource)
    {
        var reader = new WireReader(resource.Span);
        string name = "", version = "";
        string? resourceName = null;
        var body = ReadOnlyMemory<byte>.Empty;
        while (reader.Next())
        {
            if (!reader.IsLengthDelimited)
            {
                reader.Skip();
                continue;
            }
            switch (reader.FieldNumber)
            {
                case 1:
                    version = reader.ReadString();
                    break;
                case 2:
                    var (offset, length) = reader.ReadRange();
                    // A message field given twice merges: Any's value is a scalar, so a later one replaces it only if present.
                    if (AnyValueOrNull(resource.Slice(offset, length)) is { } value)
                    {
                        body = value;
                    }
                    break;
                case 3:
                    name = reader.ReadString();
                    break;
                case 8:
                    resourceName = ResourceNameOf(reader.ReadBytes());
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return new WireResource(name.Length > 0 ? name : resourceName ?? "", version, body);
    }

    /// <summary>Field 2 (<c>value</c>) of a <c>google.protobuf.Any</c>, the last one given; null if none is.</summary>
    private static ReadOnlyMemory<byte>? AnyValueOrNull(ReadOnlyMemory<byte> any)
    {
        var reader = new WireReader(any.Span);
        ReadOnlyMemory<byte>? value = null;
        while (reader.Next())
        {
            if (reader.FieldNumber == 2 && reader.IsLengthDelimited)
            {
                var (offset, length) = reader.ReadRange();
                value = any.Slice(offset, length);
            }
            else
            {
                reader.Skip();
            }
        }
        return value;
    }

    /// <summary>Field 1 (<c>name</c>) of an xDS <c>ResourceName</c>.</summary>
    private static string ResourceNameOf(ReadOnlySpan<byte> resourceName) => WireReader.LastString(resourceName, 1) ?? "";
}
