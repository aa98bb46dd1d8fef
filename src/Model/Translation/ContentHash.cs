using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Mesh.Model.Translation;

/// <summary>
/// Content-hash versions, 16 hex digits, all XXH3 (64 bits): a version tells a change apart from
/// no change of the same resource or set, it authenticates nothing. A resource's version is the
/// hash of its deterministic bytes (computed once, by the grain that builds it; a client that gets
/// a SotW resource without its version, like the load tool, hashes the bytes again: SHA-256 there
/// was a sixth of the tool's CPU in a 20,000-proxy route push). A set's version (a scope's, a
/// response's <c>version_info</c>) is the hash of its names and versions.
/// </summary>
public static class ContentHash
{
    [ThreadStatic]
    private static XxHash3? _hasher;

    public static string Of(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[8];
        XxHash3.Hash(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Hash of a set of (name, version) pairs, order-independent: sorts before hashing.</summary>
    public static string OfVersions(IEnumerable<KeyValuePair<string, string>> nameVersions) =>
        OfOrderedVersions(nameVersions.OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>Hash of (name, version) pairs already in ordinal name order (equal to <see cref="OfVersions"/> of the same set).</summary>
    public static string OfOrderedVersions(IEnumerable<KeyValuePair<string, string>> ordered)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        // One hasher per thread, taken while in use (an enumeration that hashes again gets a new one):
        // a new XxHash3 per set version was 5% of what a gateway allocates while fences learn.
        var hash = _hasher ?? new XxHash3();
        _hasher = null;
        var buffer = ArrayPool<byte>.Shared.Rent(512);
        try
        {
            foreach (var (name, version) in ordered)
            {
                Append(hash, name, ref buffer);
                hash.Append("="u8);
                Append(hash, version, ref buffer);
                hash.Append("\n"u8);
            }
            Span<byte> digest = stackalloc byte[8];
            hash.GetCurrentHash(digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            hash.Reset();
            _hasher = hash;
        }
    }

    private static void Append(XxHash3 hash, string text, ref byte[] buffer)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(max);
        }
        hash.Append(buffer.AsSpan(0, Encoding.UTF8.GetBytes(text, buffer)));
    }
}
