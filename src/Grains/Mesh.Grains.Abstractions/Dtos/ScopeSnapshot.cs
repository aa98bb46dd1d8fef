using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A scope's per-workload resources: listeners, route configurations, its own clusters, the
/// names of every cluster its proxies see (the CDS wildcard set; the bytes come from service grains)
/// and of the service-owned listeners in its LDS wildcard set (proxyless gRPC).
/// <see cref="Ready"/> is false until the first build finished. <see cref="Sequence"/> grows with each
/// build (ticks, so it keeps growing across activations): one-way notifications may arrive out of
/// order, and a gateway keeps the newer of two.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ScopeSnapshot")]
public sealed record ScopeSnapshot(
    [property: Id(0)] string ScopeKey,
    [property: Id(1)] string Version,
    [property: Id(2)] bool Ready,
    [property: Id(3)] ImmutableArray<XdsResource> Listeners,
    [property: Id(4)] ImmutableArray<XdsResource> Routes,
    [property: Id(5)] ImmutableArray<XdsResource> OwnClusters,
    [property: Id(6)] ImmutableArray<string> ClusterNames,
    [property: Id(7)] ImmutableArray<string> Diagnostics,
    [property: Id(8)] ImmutableArray<string> ServiceListeners,
    [property: Id(9)] long Sequence = 0)
{
    /// <summary>
    /// Staged rollouts' variants of this scope's listeners and routes (tagged with their rollout; an
    /// absence marker where a candidate lacks one): only those a candidate changes.
    /// </summary>
    [Id(10)] public ImmutableArray<XdsResource> Variants { get; init; } = [];

    /// <summary>Per rollout whose candidate changes the clusters the scope sees, the whole candidate list.</summary>
    [Id(11)] public ImmutableSortedDictionary<string, ImmutableArray<string>> VariantClusterNames { get; init; } = ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty;

    public static ScopeSnapshot NotReady(string key) => new(key, "", false, [], [], [], [], [], []);
}
