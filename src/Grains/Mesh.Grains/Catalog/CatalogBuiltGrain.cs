using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Catalog;

/// <summary>Persisted state of a grain built from the catalog: what it serves and the gateways subscribed to it.</summary>
internal interface ICatalogBuiltState<TIdentity>
    where TIdentity : class
{
    TIdentity? Identity { get; set; }

    ImmutableHashSet<IXdsGatewayObserver> Gateways { get; set; }
}

/// <summary>
/// Base of the grains that build from this silo's catalog for subscribed gateways (shared scopes,
/// workloads). The first subscriber brings the identity; a subscription costs at most one state
/// write (identity and gateway together); an activation after a silo died rebuilds for the gateways
/// that were subscribed; the catalog's notification rebuilds, and a build that changes nothing
/// tells no one.
/// </summary>
internal abstract class CatalogBuiltGrain<TState, TIdentity, TSnapshot>(string kind, IPersistentState<TState> state, SiloCatalog catalog, ILogger logger)
    : MeshGrainBase(kind)
    where TState : ICatalogBuiltState<TIdentity>
    where TIdentity : class
    where TSnapshot : class
{
    protected ObserverManager<IXdsGatewayObserver> Gateways { get; } = new(GrainLeases.Observer, logger);

    /// <summary>The last build; null until the first.</summary>
    protected TSnapshot? Current { get; set; }

    protected string Key => this.GetPrimaryKeyString();

    protected SiloCatalog Catalog => catalog;

    protected TIdentity Identity => state.State.Identity ?? throw new InvalidOperationException($"{this.GetGrainId()} has no identity");

    public async Task<TSnapshot> SubscribeAsync(IXdsGatewayObserver observer, TIdentity identity)
    {
        var write = false;
        if (state.State.Identity is not { } known || !SameIdentity(known, identity))
        {
            state.State.Identity = identity;
            Current = null;
            write = true;
        }
        if (Current is null)
        {
            await BuildAsync();
        }
        // Subscribe after building: the caller gets the snapshot as the answer, not also as a notification.
        Gateways.Subscribe(observer, observer);
        if (!state.State.Gateways.Contains(observer))
        {
            state.State.Gateways = state.State.Gateways.Add(observer);
            write = true;
        }
        if (write)
        {
            await state.WriteStateAsync();
        }
        return Current ?? throw new InvalidOperationException($"{this.GetGrainId()} built nothing");
    }

    /// <summary>A lease renewal: subscribes as <see cref="SubscribeAsync"/> does; the snapshot only when its version is not the one the gateway holds.</summary>
    public async Task<TSnapshot?> RenewAsync(IXdsGatewayObserver observer, TIdentity identity, string heldVersion)
    {
        var snapshot = await SubscribeAsync(observer, identity);
        return VersionOf(snapshot) == heldVersion ? null : snapshot;
    }

    public async Task UnsubscribeAsync(IXdsGatewayObserver observer)
    {
        Gateways.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
    }

    public Task<TSnapshot> GetSnapshotAsync() => Task.FromResult(Current ?? NotReady());

    /// <summary>The catalog: something this grain read changed.</summary>
    public async Task OnInputsChangedAsync()
    {
        if (Current is not null)
        {
            await BuildAsync();
        }
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Gateways subscribed to the previous activation (e.g. on a silo that died) still want pushes:
        // rebuild now and keep notifying them.
        if (state.State.Identity is not null && !state.State.Gateways.IsEmpty)
        {
            foreach (var g in state.State.Gateways)
            {
                Gateways.Subscribe(g, g);
            }
            await BuildAsync();
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        catalog.Release(Key);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    protected abstract bool SameIdentity(TIdentity known, TIdentity identity);

    /// <summary>Builds <see cref="Current"/> from the catalog and notifies <see cref="Gateways"/> if it changed.</summary>
    protected abstract Task BuildAsync();

    protected abstract TSnapshot NotReady();

    /// <summary>The snapshot's content version.</summary>
    protected abstract string VersionOf(TSnapshot snapshot);
}
