using System.Text.Json;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>
/// Structural fingerprints for change detection: records holding immutable arrays compare by
/// reference, so "did this effectively change?" is answered over their JSON form.
/// </summary>
internal static class Fingerprint
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static string Of<T>(T value) => ContentHash.Of(JsonSerializer.SerializeToUtf8Bytes(value, Options));
}
