using System.Collections.Immutable;

namespace Mesh.Grains;

/// <summary>
/// Keeps a grain's persisted set of subscribed observers (gateways, silo catalogs) in step with its
/// observer manager, so an activation on another silo (after a crash) keeps notifying them. A
/// write happens only when the set changes: a handful of gateways or silos, never one per scope.
/// </summary>
internal static class ObserverPersistence
{
    public static async Task RememberAsync<TState, TObserver>(IPersistentState<TState> state, Func<TState, ImmutableHashSet<TObserver>> get,
        Action<TState, ImmutableHashSet<TObserver>> set, TObserver observer)
        where TObserver : IGrainObserver
    {
        var current = get(state.State);
        if (!current.Contains(observer))
        {
            set(state.State, current.Add(observer));
            await state.WriteStateAsync();
        }
    }

    public static async Task ForgetAsync<TState, TObserver>(IPersistentState<TState> state, Func<TState, ImmutableHashSet<TObserver>> get,
        Action<TState, ImmutableHashSet<TObserver>> set, TObserver observer)
        where TObserver : IGrainObserver
    {
        var current = get(state.State);
        if (current.Contains(observer))
        {
            set(state.State, current.Remove(observer));
            await state.WriteStateAsync();
        }
    }
}
