using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Grains.Scope;
using Mesh.Model.Fences;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

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
    ILogger<WorkloadGrain> logger) : CatalogBuiltGrain<WorkloadState, WorkloadIdentity, WorkloadSnapshot>("workload", state, catalog, logger), IWorkloadGrain
{
    protected override bool SameIdentity(WorkloadIdentity known, WorkloadIdentity identity) =>
        known.Kind == identity.Kind && known.Namespace == identity.Namespace && known.Workload == identity.Workload && known.Labels.SequenceEqual(identity.Labels);

    protected override WorkloadSnapshot NotReady() => WorkloadSnapshot.NotReady(Key);

    protected override string VersionOf(WorkloadSnapshot snapshot) => snapshot.Version;

    protected override async Task BuildAsync()
    {
        var id = Identity;
        await Catalog.EnsureLoadedAsync();
        var own = Catalog.ReadWorkload(Key, id.Namespace);
        ScopeIdentity scope;
        var inbound = WorkloadResources.None;
        string? dependencyFence = null;
        if (id.Kind == ProxyKind.Router)
        {
            scope = ScopeInputs.IsLazyEgress(own, id.Labels, settings)
                ? ScopeIdentity.ForLazyEgress(id.Namespace)
                : ScopeIdentity.ForRouter(id.Namespace, id.Workload, id.Labels);
        }
        else
        {
            // Only an Envoy sidecar is fenced: a proxyless client asks for what it dials (lazy by nature),
            // and what it asks for is recorded under its fence.
            var fence = FencePolicy.Select(Catalog.FencesOf(id.Namespace), own.Services, id.Labels)?.Meta.Name;
            scope = ScopeIdentity.Shared(id.Kind, id.Namespace, ScopeInputs.SelectSidecar(own, id.Labels)?.Meta.Name, id.Kind == ProxyKind.Sidecar ? fence : null);
            if (id.Kind == ProxyKind.Proxyless && fence is not null)
            {
                dependencyFence = Keys.FenceKey.From(id.Namespace, fence);
            }
            if (id.Kind == ProxyKind.Sidecar)
            {
                inbound = ListenerBuilder.BuildInbound(ScopeInputs.InboundPorts(own, id.Labels), settings);
            }
        }
        var scopeKey = Keys.ScopeKey.From(scope);
        var version = ContentHash.OfVersions(
            inbound.Listeners.Concat(inbound.Clusters)
                .Select(r => new KeyValuePair<string, string>(r.TypeUrl + "|" + r.Name, r.Version))
                .Append(new KeyValuePair<string, string>("scope", scopeKey))
                .Append(new KeyValuePair<string, string>("dependencies", dependencyFence ?? "")));
        GrainMetrics.WorkloadBuilds.Add(1);
        if (Current?.Version == version)
        {
            return;
        }
        var moved = Current is { Scope: { } before } && Keys.ScopeKey.From(before) != scopeKey;
        Current = new WorkloadSnapshot(Key, version, true, scope, inbound.Listeners, inbound.Clusters, dependencyFence);
        var snapshot = Current;
        await Gateways.Notify(o => o.OnWorkloadChangedAsync(snapshot));
        if (moved)
        {
            LogMoved(logger, Key, scopeKey);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {Workload} is now served by scope {Scope}")]
    private static partial void LogMoved(ILogger logger, string workload, string scope);
}
