using System.Collections.Immutable;

namespace Mesh.Model.Translation;

/// <summary>
/// What is truly per workload on a sidecar: the <c>virtualInbound</c> listener and the
/// <c>inbound|PORT||</c> clusters of the ports it serves. Small, and separate from the shared scope.
/// </summary>
public sealed record WorkloadResources(ImmutableArray<XdsResource> Listeners, ImmutableArray<XdsResource> Clusters)
{
    public static readonly WorkloadResources None = new([], []);
}
