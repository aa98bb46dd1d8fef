namespace Mesh.Grains;

/// <summary>
/// Counts calls into Mesh's grains by interface (<c>mesh_grain_calls_total{grain}</c>), so an
/// operator (and the load tool) can see what a change or a connect costs in grain calls.
/// </summary>
internal sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType is { Namespace: "Mesh.Grains" } type)
        {
            GrainMetrics.GrainCalls.Add(1, new KeyValuePair<string, object?>("grain", type.Name));
        }
        return context.Invoke();
    }
}
