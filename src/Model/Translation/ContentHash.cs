using System.Security.Cryptography;

namespace Mesh.Model.Translation;

/// <summary>Content-hash versions: the first 16 hex digits of SHA-256 over deterministic bytes.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>Hash of a set of (name, version) pairs, order-independent: sorts before hashing.</summary>
    public static string OfVersions(IEnumerable<KeyValuePair<string, string>> nameVersions)
    {
        var sorted = nameVersions.OrderBy(p => p.Key, StringComparer.Ordinal);
        var text = string.Join('\n', sorted.Select(p => p.Key + "=" + p.Value));
        return Of(System.Text.Encoding.UTF8.GetBytes(text));
    }
}
