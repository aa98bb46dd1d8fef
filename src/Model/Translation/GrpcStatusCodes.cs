using System.Collections.Frozen;
using System.Globalization;

namespace Mesh.Model.Translation;

/// <summary>gRPC status codes by their canonical names (<c>UNAVAILABLE</c> → 14), as Istio's <c>grpcStatus</c> names them.</summary>
public static class GrpcStatusCodes
{
    private static readonly FrozenDictionary<string, int> Codes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["OK"] = 0,
        ["CANCELLED"] = 1,
        ["UNKNOWN"] = 2,
        ["INVALID_ARGUMENT"] = 3,
        ["DEADLINE_EXCEEDED"] = 4,
        ["NOT_FOUND"] = 5,
        ["ALREADY_EXISTS"] = 6,
        ["PERMISSION_DENIED"] = 7,
        ["RESOURCE_EXHAUSTED"] = 8,
        ["FAILED_PRECONDITION"] = 9,
        ["ABORTED"] = 10,
        ["OUT_OF_RANGE"] = 11,
        ["UNIMPLEMENTED"] = 12,
        ["INTERNAL"] = 13,
        ["UNAVAILABLE"] = 14,
        ["DATA_LOSS"] = 15,
        ["UNAUTHENTICATED"] = 16,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The names, in code order, for error messages.</summary>
    public static IEnumerable<string> Names => Codes.OrderBy(c => c.Value).Select(c => c.Key);

    /// <summary>The code of a name, or of a number 0–16 written as text; null when neither.</summary>
    public static int? TryParse(string text)
    {
        if (Codes.TryGetValue(text, out var code))
        {
            return code;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 16 ? number : null;
    }

    /// <summary>The code of a validated status (see <see cref="TryParse"/>); 2 (UNKNOWN) for anything else.</summary>
    public static int Parse(string text) => TryParse(text) ?? 2;
}
