using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The per-workload resources of a scope: listeners, route configurations, the clusters the scope
/// owns (inbound, passthrough, blackhole), and the names of every cluster it sees (its CDS set).
/// </summary>
public sealed record ScopeResources(
    ImmutableArray<XdsResource> Listeners,
    ImmutableArray<XdsResource> Routes,
    ImmutableArray<XdsResource> OwnClusters,
    ImmutableArray<string> ClusterNames,
    ImmutableArray<string> Diagnostics);
