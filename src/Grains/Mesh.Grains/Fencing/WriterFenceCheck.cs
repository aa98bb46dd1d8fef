using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Fencing;

/// <summary>
/// The check a grain makes, inside its turn and before applying a fenced write: is the writer's epoch
/// still current? A stale one is counted (<c>mesh_grain_stale_writes{grain}</c>), logged and rethrown.
/// </summary>
internal static partial class WriterFenceCheck
{
    public static async Task EnsureCurrentAsync(IGrainFactory grains, string kind, string key, long writerEpoch, ILogger logger)
    {
        if (writerEpoch == 0)
        {
            return; // unfenced: the manifest-directory source, a single writer
        }
        try
        {
            await grains.GetGrain<IWriterFenceGrain>(WriterFenceKey.Ingest).EnsureCurrentAsync(writerEpoch, $"{kind} {key}");
        }
        catch (StaleWriterException e)
        {
            GrainMetrics.StaleWrites.Add(1, new KeyValuePair<string, object?>("grain", kind));
            LogStaleWrite(logger, kind, key, writerEpoch, e.CurrentEpoch, e.CurrentHolder);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a write to {Grain} {Key} from a deposed writer: epoch {Epoch} is older than the current epoch {CurrentEpoch} of {CurrentHolder}; nothing changed")]
    private static partial void LogStaleWrite(ILogger logger, string grain, string key, long epoch, long currentEpoch, string? currentHolder);
}
