using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// The writer fence of a source of truth. Key: <see cref="Keys.WriterFenceKey.Ingest"/>. A newly elected
/// leader claims a higher epoch here before it writes; the grains it writes to check each write's epoch
/// against it inside their turn, so once a newer leader has claimed, a deposed leader's late writes are
/// rejected with <see cref="StaleWriterException"/>. Epoch 0 means an unfenced writer and is never checked.
/// </summary>
[Alias("mesh.IWriterFenceGrain")]
public interface IWriterFenceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes <paramref name="holder"/> the current writer at <paramref name="epoch"/>. Accepted when the
    /// epoch is higher than the current one, or equal with the same holder (a repeated claim); otherwise
    /// throws <see cref="StaleWriterException"/> naming the current epoch and holder.
    /// </summary>
    [Alias("Claim")]
    Task ClaimAsync(long epoch, string holder);

    [Alias("Get")]
    Task<WriterFence> GetAsync();

    /// <summary>Throws <see cref="StaleWriterException"/> when <paramref name="epoch"/> is older than the current one; <paramref name="what"/> names the write.</summary>
    [Alias("EnsureCurrent")]
    Task EnsureCurrentAsync(long epoch, string what);
}
