using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What a workload's proxies get beyond their shared scope: which scope serves them
/// (<see cref="Scope"/>, which changes when a Sidecar starts or stops selecting the workload) and
/// the resources that are truly per workload (a sidecar's <c>virtualInbound</c> listener and
/// <c>inbound|PORT||</c> clusters). <see cref="Ready"/> is false until the first build finished.
/// <see cref="DependencyFence"/>: for a proxyless client, the fence (<c>NAMESPACE/SERVICE</c>) that
/// selects its workload, where the services it subscribes are recorded as its dependencies (its own
/// scope is never fenced: it asks for what it dials).
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.WorkloadSnapshot")]
public sealed record WorkloadSnapshot(
    [property: Id(0)] string WorkloadKey,
    [property: Id(1)] string Version,
    [property: Id(2)] bool Ready,
    [property: Id(3)] ScopeIdentity? Scope,
    [property: Id(4)] ImmutableArray<XdsResource> Listeners,
    [property: Id(5)] ImmutableArray<XdsResource> Clusters,
    [property: Id(6)] string? DependencyFence = null)
{
    public static WorkloadSnapshot NotReady(string key) => new(key, "", false, null, [], []);
}
