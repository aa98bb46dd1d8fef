using System.Collections.Immutable;
using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

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
    ILogger<ScopeGrain> logger) : CatalogBuiltGrain<ScopeState, ScopeIdentity, ScopeSnapshot>("scope", state, catalog, logger), IScopeGrain
{
    protected override bool SameIdentity(ScopeIdentity known, ScopeIdentity identity) => identity.SameAs(known);

    protected override ScopeSnapshot NotReady() => ScopeSnapshot.NotReady(Key);

    protected override string VersionOf(ScopeSnapshot snapshot) => snapshot.Version;

    protected override async Task BuildAsync()
    {
        var id = Identity;
        await Catalog.EnsureLoadedAsync();
        ScopeResources built;
        ScopeReading? read = null;
        Func<ImmutableArray<ScopeService>, ScopeResources>? rebuild = null;
        if (id.IsLazyEgress)
        {
            // Read as an unfenced sidecar of its namespace: everything that namespace sees.
            var reading = read = Catalog.ReadScope(Key, id);
            rebuild = services => ListenerBuilder.BuildLazyEgress(new ScopeView(id.Namespace, services, [], settings));
            built = rebuild(reading.Services);
        }
        else if (id.Kind == ProxyKind.Router)
        {
            var router = Catalog.ReadRouter(Key, id);
            built = ListenerBuilder.BuildRouter(new RouterView(router.Gateways, router.VirtualServices, router.Ports, settings));
        }
        else
        {
            var reading = Catalog.ReadScope(Key, id);
            if (reading.SidecarMissing && Current is not null)
            {
                // Its Sidecar was deleted: its workloads are moving to another scope. Keep serving what
                // they hold until they have (an empty build would delete their clusters first).
                LogSidecarGone(logger, Key);
                return;
            }
            read = reading;
            rebuild = services =>
            {
                // The Sidecar's outboundTrafficPolicy overrides the mesh's for its workloads.
                var own = reading.Sidecar?.AllowAnyOutbound is { } allowAny ? settings with { AllowAnyOutbound = allowAny } : settings;
                var view = new ScopeView(id.Namespace, services, [], own, id.FenceKey);
                return id.Kind == ProxyKind.Proxyless ? ListenerBuilder.BuildProxylessScope(view) : ListenerBuilder.BuildSidecarOutbound(view);
            };
            built = rebuild(reading.Services);
        }
        var (variants, variantClusters) = BuildVariants(built, read, rebuild);

        var version = ContentHash.OfVersions(
            built.Listeners.Concat(built.Routes).Concat(built.OwnClusters)
                .Select(r => new KeyValuePair<string, string>(r.TypeUrl + "|" + r.Name, r.Version))
                .Concat(built.ClusterNames.Select(c => new KeyValuePair<string, string>("name|" + c, "")))
                .Concat(built.ServiceListeners.Select(l => new KeyValuePair<string, string>("listener|" + l, "")))
                .Concat(variants.Select(r => new KeyValuePair<string, string>($"variant|{r.Rollout}|{r.TypeUrl}|{r.Name}", r.Version)))
                .Concat(variantClusters.SelectMany(v => v.Value.Select(c => new KeyValuePair<string, string>($"variant|{v.Key}|name|{c}", "")))));
        GrainMetrics.ScopeBuilds.Add(1, new KeyValuePair<string, object?>("kind", id.Kind.ToString().ToLowerInvariant()));
        if (Current?.Version == version)
        {
            return;
        }
        var sequence = Math.Max((Current?.Sequence ?? 0) + 1, DateTime.UtcNow.Ticks);
        Current = new ScopeSnapshot(Key, version, true, built.Listeners, built.Routes, built.OwnClusters, built.ClusterNames, built.Diagnostics, built.ServiceListeners, sequence)
        {
            Variants = variants,
            VariantClusterNames = variantClusters,
        };
        foreach (var d in built.Diagnostics)
        {
            LogDiagnostic(logger, Key, d);
        }
        var snapshot = Current;
        await Gateways.Notify(o => o.OnScopeChangedAsync(snapshot));
        LogBuilt(logger, Key, version, built.Listeners.Length, built.Routes.Length, built.ClusterNames.Length);
    }

    /// <summary>
    /// Per staged rollout whose candidate views this scope read, the listeners and routes built with
    /// them that differ from <paramref name="built"/> (tagged variants), and the cluster list when
    /// the candidate changes it.
    /// </summary>
    private static (ImmutableArray<XdsResource> Variants, ImmutableSortedDictionary<string, ImmutableArray<string>> Clusters) BuildVariants(
        ScopeResources built, ScopeReading? reading, Func<ImmutableArray<ScopeService>, ScopeResources>? rebuild)
    {
        var clusters = ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty.WithComparers(StringComparer.Ordinal);
        if (reading?.Candidates is not { Count: > 0 } byRollout || rebuild is null)
        {
            return ([], clusters);
        }
        var variants = ImmutableArray.CreateBuilder<XdsResource>();
        // One variant per set of rollouts a proxy can be in (tag: their ids joined by '+'), so a proxy in
        // two cohorts gets both candidates together; a set's variant exists only where it differs.
        foreach (var set in Model.Rollouts.CohortTags.Subsets([.. byRollout.Keys]))
        {
            var alternative = rebuild([.. reading.Services.Select(s => set.Select(r => byRollout[r].GetValueOrDefault(s.Hostname)).FirstOrDefault(c => c is not null) ?? s)]);
            var tag = Model.Rollouts.CohortTags.Tag(set);
            variants.AddRange(Model.Rollouts.CandidateVariants.Of(built.Listeners.Concat(built.Routes), alternative.Listeners.Concat(alternative.Routes), tag));
            if (!alternative.ClusterNames.SequenceEqual(built.ClusterNames, StringComparer.Ordinal))
            {
                clusters = clusters.SetItem(tag, alternative.ClusterNames);
            }
        }
        return (variants.ToImmutable(), clusters);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scope {Scope} built version {Version}: {Listeners} listeners, {Routes} routes, {Clusters} clusters")]
    private static partial void LogBuilt(ILogger logger, string scope, string version, int listeners, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scope {Scope}: {Diagnostic}")]
    private static partial void LogDiagnostic(ILogger logger, string scope, string diagnostic);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scope {Scope}: its Sidecar or ServiceFence is gone; keeping its last build while its workloads move to another scope")]
    private static partial void LogSidecarGone(ILogger logger, string scope);
}
