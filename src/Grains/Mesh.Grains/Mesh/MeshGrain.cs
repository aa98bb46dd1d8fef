using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Mesh;

/// <summary>The mesh root: namespace list and readiness gate; its only subscribers are the silos' catalogs.</summary>
[GrainType("mesh")]
internal sealed class MeshGrain(
    [PersistentState("mesh", GrainStorage.Name)] IPersistentState<MeshState> state,
    ILogger<MeshGrain> logger) : MeshGrainBase("mesh"), IMeshGrain
{
    private readonly ObserverManager<ICatalogObserver> _catalogs = new(GrainLeases.Observer, logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var c in state.State.Catalogs)
        {
            _catalogs.Subscribe(c, c);
        }
        return base.OnActivateAsync(cancellationToken);
    }

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
        await _catalogs.Notify(c => c.OnNamespacesChangedAsync(sorted));
    }

    public async Task<ImmutableArray<string>> SubscribeAsync(ICatalogObserver observer)
    {
        _catalogs.Subscribe(observer, observer);
        await ObserverPersistence.RememberAsync(state, s => s.Catalogs, (s, c) => s.Catalogs = c, observer);
        return state.State.Namespaces;
    }

    public async Task UnsubscribeAsync(ICatalogObserver observer)
    {
        _catalogs.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Catalogs, (s, c) => s.Catalogs = c, observer);
    }

    public Task<ImmutableArray<string>> GetNamespacesAsync() => Task.FromResult(state.State.Namespaces);

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
