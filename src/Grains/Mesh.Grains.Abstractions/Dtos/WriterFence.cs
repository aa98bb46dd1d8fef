namespace Mesh.Grains.Dtos;

/// <summary>The current writer of a fence: its epoch, who claimed it and when (epoch 0: never claimed).</summary>
[GenerateSerializer, Immutable, Alias("mesh.WriterFence")]
public sealed record WriterFence(
    [property: Id(0)] long Epoch,
    [property: Id(1)] string? Holder,
    [property: Id(2)] DateTimeOffset? ClaimedAt)
{
    public static readonly WriterFence None = new(0, null, null);
}
