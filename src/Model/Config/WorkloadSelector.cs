using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>Istio <c>workloadSelector</c>: matches workloads whose labels contain all of these.</summary>
public sealed record WorkloadSelector(ImmutableSortedDictionary<string, string> Labels)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Labels.Matches(labels);
}
