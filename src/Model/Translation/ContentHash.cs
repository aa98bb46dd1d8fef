using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.Model.Translation;

/// <summary>
/// Content-hash versions, 16 hex digits. A resource's version is SHA-256 over its deterministic
/// bytes (computed once, by the grain that builds it). A set's version (a scope's, a response's
/// <c>version_info</c>) is XXH3 over its names and versions: gateways compute one per distinct set
/// a stream holds, where SHA-256 over thousands of names would cost more than the push itself.
/// </summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>Hash of a set of (name, version) pairs, order-independent: sorts before hashing.</summary>
    public static string OfVersions(IEnumerable<KeyValuePair<string, string>> nameVersions) =>
        OfOrderedVersions(nameVersions.OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>Hash of (name, version) pairs already in ordinal name order (equal to <see cref="OfVersions"/> of the same set).</summary>
    public static string OfOrderedVersions(IEnumerable<KeyValuePair<string, string>> ordered)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        var hash = new XxHash3();
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
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Span<byte> digest = stackalloc byte[8];
        hash.GetCurrentHash(digest);
        return Convert.ToHexStringLower(digest);
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
