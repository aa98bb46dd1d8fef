namespace Mesh.Grains.Fencing;

/// <summary>Persisted state of a <see cref="WriterFenceGrain"/>: the current writer's epoch, holder and claim time.</summary>
[GenerateSerializer, Alias("mesh.WriterFenceState")]
public sealed class WriterFenceState
{
    [Id(0)] public long Epoch { get; set; }
    [Id(1)] public string? Holder { get; set; }
    [Id(2)] public DateTimeOffset? ClaimedAt { get; set; }
}
