using Mesh.Grains.Fencing;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains;

/// <summary>Base of Mesh grains: counts activations per silo and kind (<c>mesh_grain_activations</c>).</summary>
internal abstract class MeshGrainBase(string kind) : Grain
{
    private readonly KeyValuePair<string, object?> _tag = new("kind", kind);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainMetrics.Activations.Add(1, _tag);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Rejects a write whose writer epoch is older than the writer fence's (<see cref="StaleWriterException"/>);
    /// call it before changing anything. Epoch 0 is unfenced and always passes.
    /// </summary>
    protected Task EnsureCurrentWriterAsync(long writerEpoch, ILogger logger) =>
        WriterFenceCheck.EnsureCurrentAsync(GrainFactory, kind, this.GetPrimaryKeyString(), writerEpoch, logger);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GrainMetrics.Activations.Add(-1, _tag);
        return Task.CompletedTask;
    }
}
