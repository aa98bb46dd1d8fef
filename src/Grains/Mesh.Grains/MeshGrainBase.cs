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

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GrainMetrics.Activations.Add(-1, _tag);
        return Task.CompletedTask;
    }
}
