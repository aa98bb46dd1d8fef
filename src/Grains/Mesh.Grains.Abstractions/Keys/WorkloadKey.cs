using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Keys;

/// <summary>
/// Key of a <see cref="IWorkloadGrain"/>: <c>KIND/NAMESPACE/WORKLOAD/LABELS</c>, e.g.
/// <c>sidecar/bookinfo/reviews-v1/3f2a9c1b</c> (<see cref="LabelsKey"/>): pods of one workload
/// with different labels (two ReplicaSets during a rollout) may select different Sidecars and ports.
/// </summary>
public static class WorkloadKey
{
    public static string From(ProxyKind kind, string ns, string workload, ImmutableSortedDictionary<string, string> labels) =>
        $"{kind.ToString().ToLowerInvariant()}/{ns}/{workload}/{LabelsKey.Of(labels)}";
}
