using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// The per-workload resources of a scope: listeners, route configurations, the clusters the scope
/// owns (inbound, passthrough, blackhole), the names of every cluster it sees (its CDS set), and
/// the names of the service-owned listeners its wildcard LDS holds (proxyless gRPC: one
/// <c>FQDN:PORT</c> API listener per visible service port; empty for Envoy).
/// </summary>
public sealed record ScopeResources(
    ImmutableArray<XdsResource> Listeners,
    ImmutableArray<XdsResource> Routes,
    ImmutableArray<XdsResource> OwnClusters,
    ImmutableArray<string> ClusterNames,
    ImmutableArray<string> ServiceListeners,
    ImmutableArray<string> Diagnostics);
