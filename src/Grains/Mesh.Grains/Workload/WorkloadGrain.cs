using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Grains.Scope;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Workload;

/// <summary>
/// One workload: which shared scope serves it (the Sidecar that selects its labels, or none; a
/// router's own) and, for a sidecar, its inbound listener and clusters from the ports its
/// Services target. Reads only its namespace's config, from the silo's catalog.
/// </summary>
[GrainType("workload")]
internal sealed partial class WorkloadGrain(
    [PersistentState("workload", GrainStorage.Name)] IPersistentState<WorkloadState> state,
    SiloCatalog catalog,
    MeshSettings settings,
    ILogger<WorkloadGrain> logger) : MeshGrainBase("workload"), IWorkloadGrain
{
    private readonly ObserverManager<IXdsGatewayObserver> _gateways = new(GrainLeases.Observer, logger);
    private WorkloadSnapshot? _snapshot;

    private string Key => this.GetPrimaryKeyString();

    public async Task<WorkloadSnapshot> SubscribeAsync(IXdsGatewayObserver observer, WorkloadIdentity identity)
    {
        // One state write at most: a workload's first subscriber brings both its identity and itself.
        var write = false;
        if (state.State.Identity is not { } known || known.Kind != identity.Kind || known.Namespace != identity.Namespace
            || known.Workload != identity.Workload || !known.Labels.SequenceEqual(identity.Labels))
        {
            state.State.Identity = identity;
            _snapshot = null;
            write = true;
        }
        if (_snapshot is null)
        {
            await BuildAsync();
        }
        _gateways.Subscribe(observer, observer);
        if (!state.State.Gateways.Contains(observer))
        {
            state.State.Gateways = state.State.Gateways.Add(observer);
            write = true;
        }
        if (write)
        {
            await state.WriteStateAsync();
        }
        return _snapshot!;
    }

    public async Task UnsubscribeAsync(IXdsGatewayObserver observer)
    {
        _gateways.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Identity is not null && !state.State.Gateways.IsEmpty)
        {
            foreach (var g in state.State.Gateways)
            {
                _gateways.Subscribe(g, g);
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

    public Task<WorkloadSnapshot> GetSnapshotAsync() => Task.FromResult(_snapshot ?? WorkloadSnapshot.NotReady(Key));

    public async Task OnInputsChangedAsync()
    {
        if (_snapshot is not null)
        {
            await BuildAsync();
        }
    }

    private async Task BuildAsync()
    {
        var id = state.State.Identity ?? throw new InvalidOperationException($"workload {Key} has no identity");
        await catalog.EnsureLoadedAsync();
        var own = catalog.ReadWorkload(Key, id.Namespace);
        ScopeIdentity scope;
        var inbound = WorkloadResources.None;
        if (id.Kind == ProxyKind.Router)
        {
            scope = ScopeIdentity.ForRouter(id.Namespace, id.Workload, id.Labels);
        }
        else
        {
            scope = ScopeIdentity.Shared(id.Kind, id.Namespace, ScopeInputs.SelectSidecar(own, id.Labels)?.Meta.Name);
            if (id.Kind == ProxyKind.Sidecar)
            {
                inbound = ListenerBuilder.BuildInbound(ScopeInputs.InboundPorts(own, id.Labels), settings);
            }
        }
        var scopeKey = Keys.ScopeKey.From(scope);
        var version = ContentHash.OfVersions(
            inbound.Listeners.Concat(inbound.Clusters)
                .Select(r => new KeyValuePair<string, string>(r.TypeUrl + "|" + r.Name, r.Version))
                .Append(new KeyValuePair<string, string>("scope", scopeKey)));
        GrainMetrics.WorkloadBuilds.Add(1);
        if (_snapshot?.Version == version)
        {
            return;
        }
        var moved = _snapshot is { Scope: { } before } && Keys.ScopeKey.From(before) != scopeKey;
        _snapshot = new WorkloadSnapshot(Key, version, true, scope, inbound.Listeners, inbound.Clusters);
        var snapshot = _snapshot;
        await _gateways.Notify(o => o.OnWorkloadChangedAsync(snapshot));
        if (moved)
        {
            LogMoved(logger, Key, scopeKey);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {Workload} is now served by scope {Scope}")]
    private static partial void LogMoved(ILogger logger, string workload, string scope);
}
