using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Services;
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
        update = await ProposeGovernedAsync(update);
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
        await RebuildAndNotifyAsync(endpointsOnly, before.Definition?.Namespace);
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
        // A DNS cluster carries its endpoints: an endpoint change rebuilds it.
        if (endpointsOnly && _view is not null && state.State.Candidate is null && !def.Resolution.IsDns())
        {
            var (u, r) = _resources.Replace(EndpointTypes, EndpointBuilder.Build(input));
            return (u, r, false);
        }

        var resources = BuildAll(input);
        if (state.State.Candidate is { } candidate)
        {
            // Only what the candidate changes exists twice: its variants of the resources whose content
            // differs, and markers for those it lacks (a subset dropped).
            resources = [.. resources, .. Model.Rollouts.CandidateVariants.Of(resources, BuildAll(input with { DestinationRule = candidate.Routing.DestinationRule, VirtualServices = candidate.Routing.VirtualServices }), candidate.Rollout)];
        }
        var (updated, removed) = _resources.Replace(AllTypes, resources);

        var scopeService = ScopeService.From(input);
        var vhosts = scopeService.VirtualHosts;
        var candidateView = state.State.Candidate is { } c
            ? ScopeService.From(input with { DestinationRule = c.Routing.DestinationRule, VirtualServices = c.Routing.VirtualServices })
            : null;
        var viewVersion = ContentHash.OfVersions(
            vhosts.Select(v => new KeyValuePair<string, string>("vh:" + v.Name, v.Version))
                .Concat(scopeService.ClusterNames.Select(c => new KeyValuePair<string, string>("c:" + c, "")))
                .Concat(TcpEntries(scopeService))
                .Concat(def.Addresses.Select(a => new KeyValuePair<string, string>("a:" + a, "")))
                .Concat(def.Ports.Select(p => new KeyValuePair<string, string>($"p:{p.Port}", $"{p.Name}/{p.Protocol}/{p.TargetPort}")))
                .Concat(candidateView is null ? [] : candidateView.VirtualHosts.Select(v => new KeyValuePair<string, string>("cvh:" + v.Name, v.Version))
                    .Concat(candidateView.ClusterNames.Select(n => new KeyValuePair<string, string>("cc:" + n, "")))
                    .Concat(TcpEntries(candidateView).Select(e => new KeyValuePair<string, string>("c" + e.Key, e.Value)))
                    .Append(new KeyValuePair<string, string>("rollout", state.State.Candidate!.Rollout)))
                .Append(new KeyValuePair<string, string>("ns", def.Namespace)));
        var viewChanged = _view?.Version != viewVersion;
        _view = new ServiceScopeView(Host, viewVersion, scopeService) { CandidateRollout = state.State.Candidate?.Rollout, Candidate = candidateView };
        return (updated, removed, viewChanged);
    }

    /// <summary>A service's TCP targets and SNI routes as view-version entries: a changed tcp or tls route changes the view.</summary>
    private static IEnumerable<KeyValuePair<string, string>> TcpEntries(ScopeService service) =>
        (service.TcpTargets.IsDefault ? [] : service.TcpTargets).Select(t => new KeyValuePair<string, string>(
            "tcp:" + t.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Clusters(t.Clusters)))
        .Concat((service.SniRoutes.IsDefault ? [] : service.SniRoutes).Select((r, i) => new KeyValuePair<string, string>(
            "tls:" + r.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(',', r.SniHosts) + "->" + Clusters(r.Clusters))));

    private static string Clusters(ImmutableArray<TcpCluster> clusters) =>
        string.Join(',', clusters.Select(c => c.Name + "=" + c.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static List<XdsResource> BuildAll(ServiceTranslationInput input) =>
        [.. ClusterBuilder.BuildOutbound(input)
            .Concat(EndpointBuilder.Build(input))
            .Concat(ListenerBuilder.BuildProxyless(input))
            .Concat(RouteBuilder.BuildProxylessRoutes(input))];

    /// <summary>
    /// A routing change that a RolloutPolicy governs (one the ingest attached, else one created through
    /// the admin API) is proposed to the policy's rollout grain (one-way: that grain sets this service's
    /// candidate when it takes the change) instead of being applied; the rest of the update
    /// (definition, endpoints) applies as usual. A service's first routing is never staged (nothing to
    /// compare with), nor a change equal to the candidate already held.
    /// </summary>
    private async Task<ServiceUpdate> ProposeGovernedAsync(ServiceUpdate update)
    {
        if (update.Routing is not { } routing || update.Removed || state.State.Definition is null)
        {
            return update;
        }
        if (state.State.Candidate is { } held && StructuralEquality.Same(routing, held.Routing))
        {
            return update with { Routing = null };
        }
        var reverted = StructuralEquality.Same(routing, state.State.Routing);
        if (reverted && state.State.Candidate is null)
        {
            return update; // nothing changes (the reconcile re-sending what is held)
        }
        // The sources' policies first (the ingest attaches them), then those created through the admin API.
        if ((update.RolloutPolicy ?? await GrainFactory.GetGrain<IRolloutPolicyStoreGrain>("default").GoverningAsync(reverted ? state.State.Candidate!.Routing : routing)) is not { } policy)
        {
            return update;
        }
        var changes = reverted ? [] : RoutingChanges(state.State.Routing, routing);
        var key = $"{policy.Meta.Namespace}/{policy.Meta.Name}";
        LogProposed(logger, Host, key, reverted ? "revert to the baseline" : string.Join("; ", changes));
        _ = GrainFactory.GetGrain<IRolloutGrain>(key).ProposeAsync(new RolloutProposal(Host, policy, routing, changes));
        return update with { Routing = null };
    }

    /// <summary>The VirtualServices and DestinationRule that differ between two routings, each with its content version before and after.</summary>
    internal static ImmutableArray<ChangedObject> RoutingChanges(ServiceRouting before, ServiceRouting after)
    {
        static IEnumerable<(string Kind, Model.Config.ConfigObject Obj)> Objects(ServiceRouting r) =>
            (r.DestinationRule is { } dr ? new[] { ("DestinationRule", (Model.Config.ConfigObject)dr) } : [])
                .Concat(r.VirtualServices.IsDefault ? [] : r.VirtualServices.Select(v => ("VirtualService", (Model.Config.ConfigObject)v)));
        static string Version(Model.Config.ConfigObject o) => ContentHash.Of(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(o, o.GetType()));
        var old = Objects(before).ToDictionary(o => (o.Kind, o.Obj.Meta.Namespace, o.Obj.Meta.Name), o => Version(o.Obj));
        var now = Objects(after).ToDictionary(o => (o.Kind, o.Obj.Meta.Namespace, o.Obj.Meta.Name), o => Version(o.Obj));
        return [.. old.Keys.Union(now.Keys)
            .Select(k => new ChangedObject(k.Kind, k.Namespace, k.Name, old.GetValueOrDefault(k), now.GetValueOrDefault(k)))
            .Where(c => c.OldVersion != c.NewVersion)
            .OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)];
    }

    public async Task SetCandidateAsync(string rollout, ServiceRouting routing)
    {
        if (state.State.Candidate is { } held && held.Rollout == rollout && StructuralEquality.Same(held.Routing, routing))
        {
            return;
        }
        var before = state.State.Candidate;
        state.State.Candidate = new ServiceCandidate(rollout, routing);
        await WriteOrRestoreCandidateAsync(before);
        await RebuildAndNotifyAsync(endpointsOnly: false, state.State.Definition?.Namespace);
        LogCandidate(logger, Host, rollout);
    }

    public async Task EndCandidateAsync(string rollout, bool commit)
    {
        if (state.State.Candidate is not { } held || held.Rollout != rollout)
        {
            return; // already ended (a retry), or another rollout's
        }
        var routing = state.State.Routing;
        state.State.Candidate = null;
        if (commit)
        {
            state.State.Routing = held.Routing;
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Candidate, state.State.Routing) = (held, routing);
            throw;
        }
        await RebuildAndNotifyAsync(endpointsOnly: false, state.State.Definition?.Namespace);
        LogCandidateEnded(logger, Host, rollout, commit ? "made the baseline" : "dropped");
    }

    private async Task WriteOrRestoreCandidateAsync(ServiceCandidate? before)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Candidate = before;
            throw;
        }
    }

    /// <summary>
    /// Rebuilds, tells subscribed gateways what changed, and tells the service's namespace (and the
    /// namespace it left, <paramref name="previousNamespace"/>) when the scope view changed: scopes read
    /// views from their silo's catalog, which the namespace keeps current.
    /// </summary>
    private async Task RebuildAndNotifyAsync(bool endpointsOnly, string? previousNamespace)
    {
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
            var ns = state.State.Definition?.Namespace ?? previousNamespace;
            if (previousNamespace is { } old && old != ns)
            {
                _ = GrainFactory.GetGrain<INamespaceGrain>(old).OnServiceViewChangedAsync(new ServiceScopeView(Host, "", null));
            }
            if (ns is not null)
            {
                _ = GrainFactory.GetGrain<INamespaceGrain>(ns).OnServiceViewChangedAsync(_view);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Host}: routing change governed by RolloutPolicy {Policy} proposed to its rollout ({Changes})")]
    private static partial void LogProposed(ILogger logger, string host, string policy, string changes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Host}: holds the candidate of rollout {Rollout}")]
    private static partial void LogCandidate(ILogger logger, string host, string rollout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Host}: candidate of rollout {Rollout} {Outcome}")]
    private static partial void LogCandidateEnded(ILogger logger, string host, string rollout, string outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Service {Host}: {Updated} resources changed, {Removed} removed; notifying {Gateways} gateways")]
    private static partial void LogChanged(ILogger logger, string host, int updated, int removed, int gateways);
}
