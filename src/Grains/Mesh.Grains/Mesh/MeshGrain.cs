using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Mesh;

/// <summary>The mesh root: namespace list and readiness gate.</summary>
[GrainType("mesh")]
internal sealed class MeshGrain(
    [PersistentState("mesh", GrainStorage.Name)] IPersistentState<MeshState> state,
    ILogger<MeshGrain> logger) : MeshGrainBase("mesh"), IMeshGrain
{
    public async Task SetNamespacesAsync(ImmutableArray<string> namespaces, long writerEpoch)
    {
        await EnsureCurrentWriterAsync(writerEpoch, logger);
        var sorted = namespaces.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        if (sorted.SequenceEqual(state.State.Namespaces))
        {
            return;
        }
        state.State.Namespaces = sorted;
        await state.WriteStateAsync();
        foreach (var scope in state.State.Dependents)
        {
            _ = GrainFactory.GetGrain<IScopeGrain>(scope).OnConfigChangedAsync();
        }
    }

    public async Task<ImmutableArray<string>> GetNamespacesAsync(string dependentScope)
    {
        if (!state.State.Dependents.Contains(dependentScope))
        {
            state.State.Dependents = state.State.Dependents.Add(dependentScope);
            await state.WriteStateAsync();
        }
        return state.State.Namespaces;
    }

    public async Task RemoveDependentAsync(string dependentScope)
    {
        if (state.State.Dependents.Contains(dependentScope))
        {
            state.State.Dependents = state.State.Dependents.Remove(dependentScope);
            await state.WriteStateAsync();
        }
    }

    public async Task SetReadyAsync(long writerEpoch)
    {
        await EnsureCurrentWriterAsync(writerEpoch, logger);
        if (!state.State.Ready)
        {
            state.State.Ready = true;
            await state.WriteStateAsync();
        }
    }

    public Task<bool> IsReadyAsync() => Task.FromResult(state.State.Ready);
}
