using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Scope;

/// <summary>
/// A shared scope, keyed by what determines it (kind, namespace, the Sidecar that applies): builds
/// its listeners, routes and cluster list with the pure builders from the silo's catalog (no grain
/// call), and tells subscribed gateways when the result changed. The catalog tells it when
/// something it read changed, and nothing else does.
/// </summary>
[GrainType("scope")]
internal sealed partial class ScopeGrain(
    [PersistentState("scope", GrainStorage.Name)] IPersistentState<ScopeState> state,
    SiloCatalog catalog,
    MeshSettings settings,
    ILogger<ScopeGrain> logger) : MeshGrainBase("scope"), IScopeGrain
{
    private readonly ObserverManager<IXdsGatewayObserver> _gateways = new(GrainLeases.Observer, logger);
    private ScopeSnapshot? _snapshot;

    private string Key => this.GetPrimaryKeyString();

    public async Task<ScopeSnapshot> SubscribeAsync(IXdsGatewayObserver observer, ScopeIdentity identity)
    {
        // One state write at most: a scope's first subscriber brings both its identity and itself.
        var write = false;
        if (!identity.SameAs(state.State.Identity))
        {
            state.State.Identity = identity;
            _snapshot = null;
            write = true;
        }
        if (_snapshot is null)
        {
            await BuildAsync();
        }
        // Subscribe after building: the caller gets the snapshot as the answer, not also as a notification.
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
        // Gateways subscribed to the previous activation (e.g. on a silo that died) still want pushes:
        // rebuild now and keep notifying them.
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

    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(_snapshot ?? ScopeSnapshot.NotReady(Key));

    public async Task OnInputsChangedAsync()
    {
        if (_snapshot is not null)
        {
            await BuildAsync();
        }
    }

    private async Task BuildAsync()
    {
        var id = state.State.Identity ?? throw new InvalidOperationException($"scope {Key} has no identity");
        await catalog.EnsureLoadedAsync();
        ScopeResources built;
        if (id.Kind == ProxyKind.Router)
        {
            var router = catalog.ReadRouter(Key, id);
            built = ListenerBuilder.BuildRouter(new RouterView(router.Gateways, router.VirtualServices, router.Ports, settings));
        }
        else
        {
            var reading = catalog.ReadScope(Key, id);
            if (reading.SidecarMissing && _snapshot is not null)
            {
                // Its Sidecar was deleted: its workloads are moving to another scope. Keep serving what
                // they hold until they have (an empty build would delete their clusters first).
                LogSidecarGone(logger, Key);
                return;
            }
            var view = new ScopeView(id.Namespace, reading.Services, [], settings);
            built = id.Kind == ProxyKind.Proxyless ? ListenerBuilder.BuildProxylessScope(view) : ListenerBuilder.BuildSidecarOutbound(view);
        }

        var version = ContentHash.OfVersions(
            built.Listeners.Concat(built.Routes).Concat(built.OwnClusters)
                .Select(r => new KeyValuePair<string, string>(r.TypeUrl + "|" + r.Name, r.Version))
                .Concat(built.ClusterNames.Select(c => new KeyValuePair<string, string>("name|" + c, "")))
                .Concat(built.ServiceListeners.Select(l => new KeyValuePair<string, string>("listener|" + l, ""))));
        GrainMetrics.ScopeBuilds.Add(1, new KeyValuePair<string, object?>("kind", id.Kind.ToString().ToLowerInvariant()));
        if (_snapshot?.Version == version)
        {
            return;
        }
        _snapshot = new ScopeSnapshot(Key, version, true, built.Listeners, built.Routes, built.OwnClusters, built.ClusterNames, built.Diagnostics, built.ServiceListeners);
        foreach (var d in built.Diagnostics)
        {
            LogDiagnostic(logger, Key, d);
        }
        var snapshot = _snapshot;
        await _gateways.Notify(o => o.OnScopeChangedAsync(snapshot));
        LogBuilt(logger, Key, version, built.Listeners.Length, built.Routes.Length, built.ClusterNames.Length);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scope {Scope} built version {Version}: {Listeners} listeners, {Routes} routes, {Clusters} clusters")]
    private static partial void LogBuilt(ILogger logger, string scope, string version, int listeners, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scope {Scope}: {Diagnostic}")]
    private static partial void LogDiagnostic(ILogger logger, string scope, string diagnostic);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scope {Scope}: its Sidecar is gone; keeping its last build while its workloads move to another scope")]
    private static partial void LogSidecarGone(ILogger logger, string scope);
}
