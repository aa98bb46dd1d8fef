using System.Collections.Immutable;

namespace Mesh.Grains.Fences;

/// <summary>The marked fences, in mark order, each once (<see cref="IFenceStatusGrain"/>).</summary>
[GrainType("fencestatus")]
internal sealed class FenceStatusGrain : Grain, IFenceStatusGrain
{
    private readonly Queue<string> _order = new();
    private readonly HashSet<string> _marked = new(StringComparer.Ordinal);

    public Task MarkAsync(string fence)
    {
        if (_marked.Add(fence))
        {
            _order.Enqueue(fence);
        }
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<string>> TakeAsync(int max)
    {
        var taken = ImmutableArray.CreateBuilder<string>(Math.Min(Math.Max(max, 0), _order.Count));
        while (taken.Count < max && _order.TryDequeue(out var fence))
        {
            _marked.Remove(fence);
            taken.Add(fence);
        }
        return Task.FromResult(taken.ToImmutable());
    }
}
