using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Rollouts;

/// <summary>
/// The mesh's rollouts in flight (key <c>default</c>), persisted, and the gateways that follow
/// them (leased). Every change notifies each gateway with the whole table (a handful of rollouts).
/// A gateway's subscription or renewal also wakes the rollout grains in flight: after a silo loss
/// their timers are gone until something activates them again.
/// </summary>
[GrainType("rollouttable")]
internal sealed class RolloutTableGrain(
    [PersistentState("rollouttable", GrainStorage.Name)] IPersistentState<RolloutTableState> state,
    ILogger<RolloutTableGrain> logger) : MeshGrainBase("rollouttable"), IRolloutTableGrain
{
    public const string Key = "default";

    private readonly ObserverManager<IXdsGatewayObserver> _gateways = new(GrainLeases.Observer, logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var g in state.State.Gateways)
        {
            _gateways.Subscribe(g, g);
        }
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task PublishAsync(RolloutView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var held = state.State.Rollouts.GetValueOrDefault(view.Id);
        if (held is not null && held.Sequence >= view.Sequence)
        {
            return; // an older view arriving late
        }
        if (held is null && !view.InFlight)
        {
            return;
        }
        state.State.Rollouts = view.InFlight ? state.State.Rollouts.SetItem(view.Id, view) : state.State.Rollouts.Remove(view.Id);
        await state.WriteStateAsync();
        var all = Current();
        await _gateways.Notify(g => g.OnRolloutsChangedAsync(all));
    }

    public async Task<ImmutableArray<RolloutView>> SubscribeAsync(IXdsGatewayObserver observer)
    {
        _gateways.Subscribe(observer, observer);
        await ObserverPersistence.RememberAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
        foreach (var id in state.State.Rollouts.Keys)
        {
            _ = GrainFactory.GetGrain<IRolloutGrain>(id[..id.LastIndexOf('#')]).WakeAsync();
        }
        return Current();
    }

    public async Task UnsubscribeAsync(IXdsGatewayObserver observer)
    {
        _gateways.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
    }

    public Task<ImmutableArray<RolloutView>> GetRolloutsAsync() => Task.FromResult(Current());

    private ImmutableArray<RolloutView> Current() => [.. state.State.Rollouts.Values];
}

/// <summary>Persisted state of the <see cref="RolloutTableGrain"/>.</summary>
[GenerateSerializer, Alias("mesh.RolloutTableState")]
public sealed class RolloutTableState
{
    [Id(0)] public ImmutableSortedDictionary<string, RolloutView> Rollouts { get; set; } = ImmutableSortedDictionary<string, RolloutView>.Empty.WithComparers(StringComparer.Ordinal);

    [Id(1)] public ImmutableHashSet<IXdsGatewayObserver> Gateways { get; set; } = [];
}
