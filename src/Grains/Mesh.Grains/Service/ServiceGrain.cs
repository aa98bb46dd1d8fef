using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Service;

/// <summary>
/// One service: builds its clusters, load assignments, virtual hosts and proxyless listeners/routes
/// once per input change and tells subscribed gateways only what changed. An endpoint-only update
/// rebuilds only the ClusterLoadAssignments (incremental EDS) and never disturbs scopes.
/// </summary>
[GrainType("service")]
internal sealed partial class ServiceGrain(
    [PersistentState("service", GrainStorage.Name)] IPersistentState<ServiceState> state,
    MeshSettings settings,
    ILogger<ServiceGrain> logger) : MeshGrainBase("service"), IServiceGrain
{
    private static readonly IReadOnlySet<string> EndpointTypes = new HashSet<string> { TypeUrls.Endpoint };
    private static readonly IReadOnlySet<string> AllTypes = new HashSet<string>(TypeUrls.PushOrder);

    private readonly ServiceResourceSet _resources = new();
    private readonly ObserverManager<IXdsGatewayObserver> _gateways = new(GrainLeases.Observer, logger);
    private ServiceScopeView _view = null!;

    private string Host => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Rebuild(endpointsOnly: false);
        foreach (var g in state.State.Gateways)
        {
            _gateways.Subscribe(g, g);
        }
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task UpdateAsync(ServiceUpdate update)
    {
        await EnsureCurrentWriterAsync(update.WriterEpoch, logger);
        if (Unchanged(state.State, update))
        {
            // The ingest's reconcile re-sends every service: storing 10,000 unchanged states each time
            // was that pass's whole cost on the silo.
            GrainMetrics.UnchangedUpdates.Add(1, new KeyValuePair<string, object?>("grain", "service"));
            return;
        }
        var before = (state.State.Definition, state.State.Endpoints, state.State.Routing);
        if (update.Removed)
        {
            state.State.Definition = null;
            state.State.Endpoints = [];
            state.State.Routing = ServiceRouting.None;
        }
        else
        {
            state.State.Definition = update.Definition ?? state.State.Definition;
            state.State.Endpoints = update.Endpoints ?? state.State.Endpoints;
            state.State.Routing = update.Routing ?? state.State.Routing;
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Definition, state.State.Endpoints, state.State.Routing) = before;
            throw;
        }

        var endpointsOnly = !update.Removed && update.Definition is null && update.Routing is null;
        var (updated, removed, viewChanged) = Rebuild(endpointsOnly);
        GrainMetrics.ServiceBuilds.Add(1, new KeyValuePair<string, object?>("kind", endpointsOnly ? "eds" : "full"));
        if (updated.Length > 0 || removed.Length > 0)
        {
            var change = new ResourceChange(Host, updated, removed);
            await _gateways.Notify(o => o.OnResourcesChangedAsync(change));
            LogChanged(logger, Host, updated.Length, removed.Length, _gateways.Count);
        }
        if (viewChanged)
        {
            // Scopes read views from their silo's catalog, which the namespace keeps current; a
            // service that moved namespace is gone from the old one.
            var ns = state.State.Definition?.Namespace ?? before.Definition?.Namespace;
            if (before.Definition?.Namespace is { } old && old != ns)
            {
                _ = GrainFactory.GetGrain<INamespaceGrain>(old).OnServiceViewChangedAsync(new ServiceScopeView(Host, "", null));
            }
            if (ns is not null)
            {
                _ = GrainFactory.GetGrain<INamespaceGrain>(ns).OnServiceViewChangedAsync(_view);
            }
        }
    }

    /// <summary>Whether applying <paramref name="update"/> to <paramref name="current"/> leaves every input as it is.</summary>
    internal static bool Unchanged(ServiceState current, ServiceUpdate update)
    {
        if (current.Endpoints.IsDefault)
        {
            return false; // state from before endpoints were stored: write it whole
        }
        if (update.Removed)
        {
            return current.Definition is null && current.Endpoints.IsEmpty && StructuralEquality.Same(current.Routing, ServiceRouting.None);
        }
        return (update.Definition is null || (current.Definition is not null && StructuralEquality.Same(update.Definition, current.Definition)))
            && (update.Endpoints is not { } endpoints || StructuralEquality.Same(endpoints, current.Endpoints))
            && (update.Routing is null || StructuralEquality.Same(update.Routing, current.Routing));
    }

    public async Task<ServiceSnapshot> SubscribeAsync(IXdsGatewayObserver observer)
    {
        await RememberAsync(observer);
        return Snapshot();
    }

    public async Task<ServiceSnapshot?> RenewAsync(IXdsGatewayObserver observer, string heldVersion)
    {
        // Almost always unchanged: the lease is renewed and nothing is copied or hashed again.
        await RememberAsync(observer);
        return _resources.Version == heldVersion ? null : Snapshot();
    }

    private Task RememberAsync(IXdsGatewayObserver observer)
    {
        _gateways.Subscribe(observer, observer);
        return ObserverPersistence.RememberAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
    }

    private ServiceSnapshot Snapshot() => new(Host, state.State.Definition is not null, [.. _resources.All]);

    public async Task UnsubscribeAsync(IXdsGatewayObserver observer)
    {
        _gateways.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Gateways, (s, g) => s.Gateways = g, observer);
    }

    public Task<ServiceScopeView> GetViewAsync() => Task.FromResult(_view);

    private (ImmutableArray<XdsResource> Updated, ImmutableArray<ResourceId> Removed, bool ViewChanged) Rebuild(bool endpointsOnly)
    {
        var def = state.State.Definition;
        if (def is null)
        {
            var (u, r) = _resources.Replace(AllTypes, []);
            var gone = new ServiceScopeView(Host, "", null);
            var changed = _view is null || _view.Service is not null;
            _view = gone;
            return (u, r, changed);
        }

        var input = new ServiceTranslationInput(def, state.State.Endpoints, state.State.Routing.DestinationRule, state.State.Routing.VirtualServices, settings);
        if (endpointsOnly && _view is not null)
        {
            var (u, r) = _resources.Replace(EndpointTypes, EndpointBuilder.Build(input));
            return (u, r, false);
        }

        var clusters = ClusterBuilder.BuildOutbound(input);
        var resources = clusters
            .Concat(EndpointBuilder.Build(input))
            .Concat(ListenerBuilder.BuildProxyless(input))
            .Concat(RouteBuilder.BuildProxylessRoutes(input));
        var (updated, removed) = _resources.Replace(AllTypes, resources);

        var scopeService = ScopeService.From(input);
        var vhosts = scopeService.VirtualHosts;
        var viewVersion = ContentHash.OfVersions(
            vhosts.Select(v => new KeyValuePair<string, string>("vh:" + v.Name, v.Version))
                .Concat(scopeService.ClusterNames.Select(c => new KeyValuePair<string, string>("c:" + c, "")))
                .Concat(def.Addresses.Select(a => new KeyValuePair<string, string>("a:" + a, "")))
                .Concat(def.Ports.Select(p => new KeyValuePair<string, string>($"p:{p.Port}", $"{p.Name}/{p.Protocol}/{p.TargetPort}")))
                .Append(new KeyValuePair<string, string>("ns", def.Namespace)));
        var viewChanged = _view?.Version != viewVersion;
        _view = new ServiceScopeView(Host, viewVersion, scopeService);
        return (updated, removed, viewChanged);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Service {Host}: {Updated} resources changed, {Removed} removed; notifying {Gateways} gateways")]
    private static partial void LogChanged(ILogger logger, string host, int updated, int removed, int gateways);
}
