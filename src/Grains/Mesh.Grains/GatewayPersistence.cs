using System.Collections.Immutable;

namespace Mesh.Grains;

/// <summary>Keeps a grain's persisted set of subscribed gateways in step with its observer manager.</summary>
internal static class GatewayPersistence
{
    public static async Task RememberAsync<TState>(IPersistentState<TState> state, Func<TState, ImmutableHashSet<IXdsGatewayObserver>> get,
        Action<TState, ImmutableHashSet<IXdsGatewayObserver>> set, IXdsGatewayObserver observer)
    {
        var current = get(state.State);
        if (!current.Contains(observer))
        {
            set(state.State, current.Add(observer));
            await state.WriteStateAsync();
        }
    }

    public static async Task ForgetAsync<TState>(IPersistentState<TState> state, Func<TState, ImmutableHashSet<IXdsGatewayObserver>> get,
        Action<TState, ImmutableHashSet<IXdsGatewayObserver>> set, IXdsGatewayObserver observer)
    {
        var current = get(state.State);
        if (current.Contains(observer))
        {
            set(state.State, current.Remove(observer));
            await state.WriteStateAsync();
        }
    }
}
