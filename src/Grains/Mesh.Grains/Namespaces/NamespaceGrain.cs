using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Grains.Namespaces;

/// <summary>
/// A namespace's config and the scope views of the services defined in it. Its subscribers are the
/// silos' catalogs (one per silo), which tell only the scopes and workloads a change affects; a
/// view is fetched from its service once per activation, then kept current by the service.
/// </summary>
[GrainType("namespace")]
internal sealed partial class NamespaceGrain(
    [PersistentState("namespace", GrainStorage.Name)] IPersistentState<NamespaceState> state,
    [PersistentState("namespace-learned", GrainStorage.Name)] IPersistentState<NamespaceLearnedState> learned,
    ILogger<NamespaceGrain> logger) : MeshGrainBase("namespace"), INamespaceGrain
{
    private readonly ObserverManager<ICatalogObserver> _catalogs = new(GrainLeases.Observer, logger);
    private readonly Dictionary<string, ServiceScopeView> _views = new(StringComparer.Ordinal);

    private long _sequence;

    private string Namespace => this.GetPrimaryKeyString();

    private NamespaceConfig Config => state.State.Config ?? NamespaceConfig.Empty(Namespace);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var c in state.State.Catalogs)
        {
            _catalogs.Subscribe(c, c);
        }
        if (state.State.Learned is { IsEmpty: false } old && learned.State.Learned.IsEmpty)
        {
            learned.State.Learned = old; // state written before the learned hosts had their own
        }
        await FetchMissingViewsAsync();
        await base.OnActivateAsync(cancellationToken);
        // This state remembers which fences have hosts, not (currently) which hosts: each fence grain
        // hands its set over again, and a restarted one runs its expiry timer from then on.
        foreach (var fence in learned.State.Learned.Keys)
        {
            _ = GrainFactory.GetGrain<IServiceFenceGrain>(Keys.FenceKey.From(Namespace, fence)).RepublishAsync();
        }
    }

    public async Task UpdateAsync(NamespaceConfig config, long writerEpoch)
    {
        await EnsureCurrentWriterAsync(writerEpoch, logger);
        // A reconciler re-sends unchanged config: nothing to store, nobody to wake.
        if (state.State.Config is { } current && StructuralEquality.Same(current, config))
        {
            GrainMetrics.UnchangedUpdates.Add(1, new KeyValuePair<string, object?>("grain", "namespace"));
            return;
        }
        var before = state.State.Config;
        state.State.Config = config;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Config = before;
            throw;
        }
        await FetchMissingViewsAsync();
        var snapshot = Snapshot();
        await _catalogs.Notify(c => c.OnNamespaceChangedAsync(snapshot));
        LogChanged(logger, Namespace, config.Services.Length, _catalogs.Count);
    }

    public async Task<NamespaceSnapshot> SubscribeAsync(ICatalogObserver observer)
    {
        _catalogs.Subscribe(observer, observer);
        await ObserverPersistence.RememberAsync(state, s => s.Catalogs, (s, c) => s.Catalogs = c, observer);
        return Snapshot();
    }

    public async Task UnsubscribeAsync(ICatalogObserver observer)
    {
        _catalogs.Unsubscribe(observer);
        await ObserverPersistence.ForgetAsync(state, s => s.Catalogs, (s, c) => s.Catalogs = c, observer);
    }

    public async Task OnServiceViewChangedAsync(ServiceScopeView view)
    {
        if (_views.TryGetValue(view.Host, out var known) && known.Version == view.Version)
        {
            return;
        }
        if (view.Service is null)
        {
            _views.Remove(view.Host);
        }
        else
        {
            _views[view.Host] = view;
        }
        await _catalogs.Notify(c => c.OnServiceViewChangedAsync(Namespace, view));
    }

    public Task<NamespaceConfig> GetConfigAsync() => Task.FromResult(Config);

    public async Task SetLearnedAsync(string service, ImmutableSortedSet<string> hosts)
    {
        var before = learned.State.Learned;
        if (before.TryGetValue(service, out var known) && known.SetEquals(hosts))
        {
            return;
        }
        learned.State.Learned = hosts.IsEmpty ? before.Remove(service) : before.SetItem(service, hosts);
        // The fence grain persists its hosts; this state remembers which fences have any (to wake them
        // on activation), so it is written when a fence gains its first host or loses its last, not per host.
        if (before.ContainsKey(service) == hosts.IsEmpty)
        {
            try
            {
                await learned.WriteStateAsync();
            }
            catch
            {
                learned.State.Learned = before;
                throw;
            }
        }
        // Ticks, not a counter: a reactivated grain (elsewhere) must not send sequences catalogs already passed.
        _sequence = Math.Max(_sequence + 1, DateTime.UtcNow.Ticks);
        var sequence = _sequence;
        await _catalogs.Notify(c => c.OnLearnedChangedAsync(Namespace, service, hosts, sequence));
    }

    private NamespaceSnapshot Snapshot() => new(Config, [.. _views.Values.OrderBy(v => v.Host, StringComparer.Ordinal)], learned.State.Learned);

    /// <summary>Views of the namespace's services this activation has not seen yet, from the services themselves.</summary>
    private async Task FetchMissingViewsAsync()
    {
        var missing = Config.Services.Select(s => s.Hostname).Where(h => !_views.ContainsKey(h)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return;
        }
        var views = await Task.WhenAll(missing.Select(h => GrainFactory.GetGrain<IServiceGrain>(ServiceKey.From(h)).GetViewAsync()));
        foreach (var v in views.Where(v => v.Service is not null))
        {
            _views.TryAdd(v.Host, v);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Namespace {Namespace} changed ({Services} services); notifying {Catalogs} silo catalogs")]
    private static partial void LogChanged(ILogger logger, string @namespace, int services, int catalogs);
}
