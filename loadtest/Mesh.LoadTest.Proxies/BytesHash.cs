namespace Mesh.LoadTest.Proxies;

/// <summary>A 64-bit hash of a resource's bytes (XXH3: a proxy hashes every resource it receives, so this is on the tool's hot path).</summary>
internal static class BytesHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes) => System.IO.Hashing.XxHash3.HashToUInt64(bytes);

    /// <summary>
    /// The hash as Mesh's content-hash version (<see cref="Mesh.Model.Translation.ContentHash.Of"/> of the same
    /// bytes: XXH3 written big-endian, in lower-case hex), so a SotW resource, which carries no version, is
    /// hashed once for both.
    /// </summary>
    public static string Version(ulong hash) => hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
