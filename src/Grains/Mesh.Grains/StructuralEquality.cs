using System.Text.Json;

namespace Mesh.Grains;

/// <summary>
/// "Would storing this change anything?" for grain inputs. Their records hold immutable arrays and
/// dictionaries, which compare by reference, so two equal inputs built separately (a reconciler
/// re-deriving everything) compare over their JSON form instead.
/// </summary>
internal static class StructuralEquality
{
    public static bool Same<T>(T a, T b) =>
        ReferenceEquals(a, b) || JsonSerializer.SerializeToUtf8Bytes(a).AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(b));
}
