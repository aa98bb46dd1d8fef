using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Namespaces;

/// <summary>A namespace's config; tells its dependent scopes when it changes.</summary>
[GrainType("namespace")]
internal sealed class NamespaceGrain(
    [PersistentState("namespace", GrainStorage.Name)] IPersistentState<NamespaceState> state,
    ILogger<NamespaceGrain> logger) : MeshGrainBase("namespace"), INamespaceGrain
{
    public async Task UpdateAsync(NamespaceConfig config, long writerEpoch)
    {
        await EnsureCurrentWriterAsync(writerEpoch, logger);
        // A reconciler re-sends unchanged config: nothing to store, nobody to wake.
        if (state.State.Config is { } current && Same(current, config))
        {
            return;
        }
        var before = state.State.Config;
        state.State.Config = config;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Config = before;
            throw;
        }
        foreach (var scope in state.State.Dependents)
        {
            _ = GrainFactory.GetGrain<IScopeGrain>(scope).OnConfigChangedAsync();
        }
    }

    private static bool Same(NamespaceConfig a, NamespaceConfig b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    public async Task<NamespaceConfig> GetAsync(string dependentScope)
    {
        if (!state.State.Dependents.Contains(dependentScope))
        {
            state.State.Dependents = state.State.Dependents.Add(dependentScope);
            await state.WriteStateAsync();
        }
        return state.State.Config ?? NamespaceConfig.Empty(this.GetPrimaryKeyString());
    }

    public async Task RemoveDependentAsync(string dependentScope)
    {
        if (state.State.Dependents.Contains(dependentScope))
        {
            state.State.Dependents = state.State.Dependents.Remove(dependentScope);
            await state.WriteStateAsync();
        }
    }
}
