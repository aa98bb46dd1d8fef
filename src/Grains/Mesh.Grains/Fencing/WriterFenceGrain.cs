using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Fencing;

/// <summary>
/// The writer fence: the highest epoch claimed by a leader and its holder, persisted so that a fence
/// re-activated on another silo still rejects the writers it had deposed.
/// </summary>
[GrainType("writerfence")]
internal sealed partial class WriterFenceGrain(
    [PersistentState("writerfence", GrainStorage.Name)] IPersistentState<WriterFenceState> state,
    TimeProvider time,
    ILogger<WriterFenceGrain> logger) : MeshGrainBase("writerfence"), IWriterFenceGrain
{
    public async Task ClaimAsync(long epoch, string holder)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epoch);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        var fence = this.GetPrimaryKeyString();
        var s = state.State;
        if (epoch == s.Epoch && holder == s.Holder)
        {
            return;
        }
        if (epoch <= s.Epoch)
        {
            LogClaimRejected(logger, fence, holder, epoch, s.Epoch, s.Holder);
            throw new StaleWriterException($"claim of fence '{fence}' by '{holder}'", epoch, s.Epoch, s.Holder);
        }

        var before = (s.Epoch, s.Holder, s.ClaimedAt);
        (s.Epoch, s.Holder, s.ClaimedAt) = (epoch, holder, time.GetUtcNow());
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // The write may have landed anyway: re-read storage on the next call rather than trust the rollback.
            (s.Epoch, s.Holder, s.ClaimedAt) = before;
            DeactivateOnIdle();
            throw;
        }
        LogClaimed(logger, fence, holder, epoch, before.Epoch, before.Holder);
    }

    public Task<WriterFence> GetAsync() =>
        Task.FromResult(state.State.Epoch == 0 ? WriterFence.None : new WriterFence(state.State.Epoch, state.State.Holder, state.State.ClaimedAt));

    public Task EnsureCurrentAsync(long epoch, string what) =>
        epoch < state.State.Epoch
            ? Task.FromException(new StaleWriterException(what, epoch, state.State.Epoch, state.State.Holder))
            : Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Writer fence {Fence}: {Holder} claimed epoch {Epoch} (was {PreviousEpoch}, held by {PreviousHolder}); older epochs are now rejected")]
    private static partial void LogClaimed(ILogger logger, string fence, string holder, long epoch, long previousEpoch, string? previousHolder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writer fence {Fence}: rejected claim of epoch {Epoch} by {Holder}; epoch {CurrentEpoch} is held by {CurrentHolder}. Was the Lease deleted or reset?")]
    private static partial void LogClaimRejected(ILogger logger, string fence, string holder, long epoch, long currentEpoch, string? currentHolder);
}
