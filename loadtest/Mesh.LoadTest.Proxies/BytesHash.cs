namespace Mesh.LoadTest.Proxies;

/// <summary>A 64-bit hash of a resource's bytes (XXH3: a proxy hashes every resource it receives, so this is on the tool's hot path).</summary>
internal static class BytesHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes) => System.IO.Hashing.XxHash3.HashToUInt64(bytes);
}
