namespace Mesh.Grains;

/// <summary>
/// A write or claim carried a writer epoch older than the fence's current one: its writer was deposed
/// by a newer leader. Nothing was changed. The writer must stop writing (and re-elect) rather than retry.
/// </summary>
[GenerateSerializer, Alias("mesh.StaleWriterException")]
public sealed class StaleWriterException : Exception
{
    public StaleWriterException()
    {
    }

    public StaleWriterException(string message) : base(message)
    {
    }

    public StaleWriterException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public StaleWriterException(string what, long rejectedEpoch, long currentEpoch, string? currentHolder)
        : base($"{what}: writer epoch {rejectedEpoch} is stale; the current writer is '{currentHolder}' at epoch {currentEpoch}. " +
               "A deposed leader's writes are rejected: stop writing and wait to be elected again.")
    {
        RejectedEpoch = rejectedEpoch;
        CurrentEpoch = currentEpoch;
        CurrentHolder = currentHolder;
    }

    [Id(0)] public long RejectedEpoch { get; private set; }
    [Id(1)] public long CurrentEpoch { get; private set; }
    [Id(2)] public string? CurrentHolder { get; private set; }
}
