using System.Buffers;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// The simulated proxy reads responses from the wire without parsing them whole; it must read what
/// a protobuf parser reads (names, versions, nonce, type, each resource's bytes, removals), with
/// the fields it does not use present, fields repeated and messages merged.
/// </summary>
public sealed class WireResponseTests
{
    [Fact]
    public void Sotw_ReadsWhatAFullParseReads_UnknownFieldsSkipped()
    {
        var response = new DiscoveryResponse
        {
            VersionInfo = "v7",
            TypeUrl = TypeUrls.Cluster,
            Nonce = "n-3",
            Canary = true,
            ControlPlane = new ControlPlane { Identifier = "gateway-1" },
            Resources = { Any.Pack(Cluster("a")), Any.Pack(Cluster("b")), new Any { TypeUrl = TypeUrls.Cluster } },
        };

        using var read = Read(response.ToByteArray(), delta: false);

        Assert.Equal(response.VersionInfo, read.Version);
        Assert.Equal(response.TypeUrl, read.TypeUrl);
        Assert.Equal(response.Nonce, read.Nonce);
        Assert.Equal(["a", "b", ""], read.Resources.Select(r => r.Name));
        Assert.All(read.Resources, r => Assert.Equal("", r.Version));
        Assert.Equal(response.Resources.Select(a => a.Value.ToByteArray()), read.Resources.Select(r => r.Body.ToArray()));
        Assert.Empty(read.Removed);
    }

    [Fact]
    public void Delta_ReadsNamesVersionsBodiesAndRemovals_AsAFullParse()
    {
        var response = new DeltaDiscoveryResponse
        {
            SystemVersionInfo = "sys-2",
            TypeUrl = TypeUrls.Cluster,
            Nonce = "n-9",
            ControlPlane = new ControlPlane { Identifier = "gateway-2" },
            Resources =
            {
                new Resource { Name = "a", Version = "1", Resource_ = Any.Pack(Cluster("a")), Aliases = { "alias" }, Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) },
                new Resource { Name = "no-body", Version = "2" },
                new Resource { ResourceName = new ResourceName { Name = "by-resource-name" }, Version = "3", Resource_ = Any.Pack(Cluster("x")) },
                new Resource { Name = "named", ResourceName = new ResourceName { Name = "ignored" }, Version = "4", Metadata = new Metadata() },
            },
            RemovedResources = { "gone-1", "gone-2" },
            RemovedResourceNames = { new ResourceName { Name = "gone-3" } },
        };

        using var read = Read(response.ToByteArray(), delta: true);

        Assert.Equal(("sys-2", TypeUrls.Cluster, "n-9"), (read.Version, read.TypeUrl, read.Nonce));
        Assert.Equal(["a", "no-body", "by-resource-name", "named"], read.Resources.Select(r => r.Name));
        Assert.Equal(["1", "2", "3", "4"], read.Resources.Select(r => r.Version));
        Assert.Equal(
            response.Resources.Select(r => r.Resource_?.Value.ToByteArray() ?? []),
            read.Resources.Select(r => r.Body.ToArray()));
        Assert.Equal(["gone-1", "gone-2", "gone-3"], read.Removed);
    }

    [Fact]
    public void TwoMessagesBackToBack_MergeAsAParserMergesThem()
    {
        // A later scalar wins, repeated fields append, and a message field given twice merges
        // (a second Any without a value keeps the first one's).
        var first = new DeltaDiscoveryResponse { Nonce = "first", TypeUrl = TypeUrls.Cluster, Resources = { new Resource { Name = "a", Version = "1", Resource_ = Any.Pack(Cluster("a")) } } };
        var second = new DeltaDiscoveryResponse { Nonce = "second", Resources = { new Resource { Name = "b", Version = "1" } }, RemovedResources = { "c" } };
        var mergedResource = Concat(
            new Resource { Name = "m", Version = "1", Resource_ = Any.Pack(Cluster("m")) },
            new Resource { Version = "2", Resource_ = new Any { TypeUrl = TypeUrls.Cluster } });
        var third = Concat(new DeltaDiscoveryResponse(), new DeltaDiscoveryResponse()); // empty: nothing changes
        var bytes = Concat(first, second).Concat(WithResource(mergedResource)).Concat(third).ToArray();
        var parsed = DeltaDiscoveryResponse.Parser.ParseFrom(bytes);

        using var read = Read(bytes, delta: true);

        Assert.Equal(parsed.Nonce, read.Nonce);
        Assert.Equal(parsed.TypeUrl, read.TypeUrl);
        Assert.Equal(parsed.Resources.Select(r => r.Name), read.Resources.Select(r => r.Name));
        Assert.Equal(parsed.Resources.Select(r => r.Version), read.Resources.Select(r => r.Version));
        Assert.Equal(parsed.Resources.Select(r => r.Resource_?.Value.ToByteArray() ?? []), read.Resources.Select(r => r.Body.ToArray()));
        Assert.Equal(parsed.RemovedResources, read.Removed);
    }

    [Fact]
    public void APayloadInSeveralSegments_ReadsAsOne()
    {
        var response = new DiscoveryResponse { VersionInfo = "v1", TypeUrl = TypeUrls.Cluster, Nonce = "n", Resources = { Any.Pack(Cluster("a")), Any.Pack(Cluster("b")) } };
        var bytes = response.ToByteArray();

        using var read = WireResponse.Read(Segments(bytes, 3), delta: false);

        Assert.Equal(["a", "b"], read.Resources.Select(r => r.Name));
        Assert.Equal(response.Resources.Select(a => a.Value.ToByteArray()), read.Resources.Select(r => r.Body.ToArray()));
    }

    [Theory]
    [InlineData("a length past the end")]
    [InlineData("a varint cut short")]
    [InlineData("field number zero")]
    [InlineData("an unclosed group")]
    public void MalformedBytes_AreRejected_NotMisread(string shape)
    {
        var whole = new DiscoveryResponse { Nonce = "n", TypeUrl = TypeUrls.Cluster, Resources = { Any.Pack(Cluster("a")) } }.ToByteArray();
        byte[] bytes = shape switch
        {
            "a length past the end" => whole[..^1], // the nonce's one byte missing
            "a varint cut short" => [.. whole, 0x08, 0x80], // field 1 varint, continuation bit set, then nothing
            "field number zero" => [.. whole, 0x02, 0x00],
            "an unclosed group" => [.. whole, 0x3B, 0x08, 0x01], // field 7 start group, field 1 varint 1, no end
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        Assert.Throws<InvalidDataException>(() => Read(bytes, delta: false).Dispose());
        Assert.ThrowsAny<InvalidProtocolBufferException>(() => DiscoveryResponse.Parser.ParseFrom(bytes));
    }

    [Fact]
    public void AClosedGroup_IsSkippedAsAnUnknownField()
    {
        var response = new DiscoveryResponse { Nonce = "n", TypeUrl = TypeUrls.Cluster, Resources = { Any.Pack(Cluster("a")) } };
        byte[] bytes = [.. response.ToByteArray(), 0x3B, 0x08, 0x01, 0x3C]; // field 7: start group, field 1 = 1, end group

        using var read = Read(bytes, delta: false);

        Assert.Equal(DiscoveryResponse.Parser.ParseFrom(bytes).Nonce, read.Nonce);
        Assert.Equal(["a"], read.Resources.Select(r => r.Name));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(240)]
    [InlineData(241)]
    [InlineData(31_000)]
    public void ASotwResourcesVersion_HashedOnce_IsMeshsContentHashOfItsBytes(int length)
    {
        var bytes = Enumerable.Range(0, length).Select(i => (byte)(i * 31 + 7)).ToArray();

        Assert.Equal(ContentHash.Of(bytes), BytesHash.Version(BytesHash.Of(bytes)));
    }

    private static WireResponse Read(byte[] bytes, bool delta) => WireResponse.Read(new ReadOnlySequence<byte>(bytes), delta);

    private static Cluster Cluster(string name) => new()
    {
        Name = name,
        Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new() { ServiceName = name },
    };

    private static byte[] Concat(IMessage first, IMessage second) => [.. first.ToByteArray(), .. second.ToByteArray()];

    /// <summary>A DeltaDiscoveryResponse holding only field 2 with the given (possibly merged) Resource bytes.</summary>
    private static byte[] WithResource(byte[] resource)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(resource));
        output.Flush();
        return stream.ToArray();
    }

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int parts)
    {
        var size = (bytes.Length + parts - 1) / parts;
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
