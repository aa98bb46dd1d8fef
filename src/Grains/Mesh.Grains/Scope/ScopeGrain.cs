using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Scope;

/// <summary>
/// A workload's scope: gathers the namespaces, services and (for routers) gateways it depends on,
/// registers as their dependent, builds listeners/routes with the pure builders and tells
/// subscribed gateways when the result changed. A service change updates only that service's view.
/// </summary>
[GrainType("scope")]
internal sealed partial class ScopeGrain(
    [PersistentState("scope", GrainStorage.Name)] IPersistentState<ScopeState> state,
    MeshSettings settings,
    ILogger<ScopeGrain> logger) : MeshGrainBase("scope"), IScopeGrain
{
    private readonly ObserverManager<IXdsGatewayObserver> _gateways = new(GrainLeases.Observer, logger);
    private readonly Dictionary<string, ScopeService> _services = new(StringComparer.Ordinal);
    private ImmutableArray<NamespaceConfig> _configs = [];
    private ScopeSnapshot? _snapshot;

    private string Key => this.GetPrimaryKeyString();

    public async Task<ScopeSnapshot> SubscribeAsync(IXdsGatewayObserver observer, ScopeIdentity identity)
    {
        if (state.State.Identity is null || !state.State.Identity.Labels.SequenceEqual(identity.Labels))
        {
            state.State.Identity = identity;
            await state.WriteStateAsync();
            _snapshot = null;
        }
        if (_snapshot is null)
        {
            await RefreshAsync();
        }
        // Subscribe after building: the caller gets the snapshot as the answer, not also as a notification.
        _gateways.Subscribe(observer, observer);
        await GatewayPersistence.RememberAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
        return _snapshot!;
    }

    public async Task UnsubscribeAsync(IXdsGatewayObserver observer)
    {
        _gateways.Unsubscribe(observer);
        await GatewayPersistence.ForgetAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
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
            await RefreshAsync();
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(_snapshot ?? ScopeSnapshot.NotReady(Key));

    public async Task OnServiceChangedAsync(ServiceScopeView view)
    {
        if (_snapshot is null)
        {
            return; // not built yet; the first build fetches current views
        }
        if (view.Service is null)
        {
            _services.Remove(view.Host);
        }
        else
        {
            _services[view.Host] = view.Service;
        }
        await BuildAsync(fetchMissing: false);
    }

    public async Task OnConfigChangedAsync()
    {
        if (_snapshot is not null)
        {
            await RefreshAsync();
        }
    }

    private async Task RefreshAsync()
    {
        var namespaces = await GrainFactory.GetGrain<IMeshGrain>(MeshKey.Default).GetNamespacesAsync(Key);
        _configs = [.. await Task.WhenAll(namespaces.Select(ns => GrainFactory.GetGrain<INamespaceGrain>(ns).GetAsync(Key)))];
        await BuildAsync(fetchMissing: true);
    }

    private async Task BuildAsync(bool fetchMissing)
    {
        var id = state.State.Identity ?? throw new InvalidOperationException($"scope {Key} has no identity");
        var own = _configs.FirstOrDefault(c => c.Namespace == id.Namespace) ?? NamespaceConfig.Empty(id.Namespace);

        ImmutableArray<string> hosts;
        ImmutableArray<Model.Config.Gateway> gateways = [];
        ImmutableArray<Model.Config.VirtualService> routerServices = [];
        if (id.Kind == ProxyKind.Router)
        {
            gateways = ScopeInputs.RouterGateways(_configs, id);
            routerServices = ScopeInputs.RouterVirtualServices(_configs, gateways);
            hosts = [.. ScopeInputs.DestinationHosts(routerServices, settings.DomainSuffix)];
        }
        else
        {
            var sidecar = ScopeInputs.SelectSidecar(own, id);
            hosts = [.. ScopeInputs.VisibleServices(_configs, id, sidecar).Select(s => s.Hostname).Distinct(StringComparer.Ordinal)];
        }

        if (fetchMissing)
        {
            await SyncDependenciesAsync(hosts);
        }

        ScopeResources built;
        if (id.Kind == ProxyKind.Router)
        {
            var ports = hosts.Where(_services.ContainsKey)
                .ToImmutableSortedDictionary(h => h, h => _services[h].Ports, StringComparer.Ordinal);
            built = ListenerBuilder.BuildRouter(new RouterView(gateways, routerServices, ports, settings));
        }
        else
        {
            var visible = hosts.Where(_services.ContainsKey).Select(h => _services[h])
                .OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Hostname, StringComparer.Ordinal);
            var view = new ScopeView(id.Namespace, [.. visible], ScopeInputs.InboundPorts(own, id), settings);
            built = id.Kind == ProxyKind.Proxyless ? ListenerBuilder.BuildProxylessScope(view) : ListenerBuilder.BuildSidecar(view);
        }

        var version = ContentHash.OfVersions(
            built.Listeners.Concat(built.Routes).Concat(built.OwnClusters)
                .Select(r => new KeyValuePair<string, string>(r.TypeUrl + "|" + r.Name, r.Version))
                .Concat(built.ClusterNames.Select(c => new KeyValuePair<string, string>("name|" + c, "")))
                .Concat(built.ServiceListeners.Select(l => new KeyValuePair<string, string>("listener|" + l, ""))));
        GrainMetrics.ScopeBuilds.Add(1);
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

    /// <summary>Fetches views of newly visible services and drops the ones no longer visible.</summary>
    private async Task SyncDependenciesAsync(ImmutableArray<string> hosts)
    {
        var wanted = hosts.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _services.Keys.Where(h => !wanted.Contains(h)).ToList())
        {
            _services.Remove(gone);
            await GrainFactory.GetGrain<IServiceGrain>(ServiceKey.From(gone)).RemoveDependentAsync(Key);
        }
        var views = await Task.WhenAll(hosts.Where(h => !_services.ContainsKey(h))
            .Select(h => GrainFactory.GetGrain<IServiceGrain>(ServiceKey.From(h)).GetScopeViewAsync(Key)));
        foreach (var v in views)
        {
            if (v.Service is not null)
            {
                _services[v.Host] = v.Service;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scope {Scope} built version {Version}: {Listeners} listeners, {Routes} routes, {Clusters} clusters")]
    private static partial void LogBuilt(ILogger logger, string scope, string version, int listeners, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scope {Scope}: {Diagnostic}")]
    private static partial void LogDiagnostic(ILogger logger, string scope, string diagnostic);
}
