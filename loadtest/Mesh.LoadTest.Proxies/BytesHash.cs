namespace Mesh.LoadTest.Proxies;

/// <summary>64-bit FNV-1a: cheap, deterministic, enough to tell two payloads of one resource apart.</summary>
internal static class BytesHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}
