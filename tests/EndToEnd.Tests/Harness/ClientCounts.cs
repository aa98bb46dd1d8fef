using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>One <c>count N</c> answer of xds_client.py: answers per backend, failures per gRPC status.</summary>
internal sealed record ClientCounts
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    [JsonPropertyName("counts")]
    public Dictionary<string, int> Counts { get; init; } = [];

    [JsonPropertyName("errors")]
    public Dictionary<string, int> Errors { get; init; } = [];

    [JsonPropertyName("error_details")]
    public Dictionary<string, string> ErrorDetails { get; init; } = [];

    /// <summary>True when the client stopped early because the command's time budget ran out.</summary>
    [JsonPropertyName("incomplete")]
    public bool Incomplete { get; init; }

    public int Answered => Counts.Values.Sum();

    public int Failed => Errors.Values.Sum();

    public int Of(string backend) => Counts.GetValueOrDefault(backend);

    public override string ToString() => JsonSerializer.Serialize(this, Json);
}
