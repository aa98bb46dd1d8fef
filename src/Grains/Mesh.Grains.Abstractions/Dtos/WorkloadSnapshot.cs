using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What a workload's proxies get beyond their shared scope: which scope serves them
/// (<see cref="Scope"/>, which changes when a Sidecar starts or stops selecting the workload) and
/// the resources that are truly per workload (a sidecar's <c>virtualInbound</c> listener and
/// <c>inbound|PORT||</c> clusters). <see cref="Ready"/> is false until the first build finished.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.WorkloadSnapshot")]
public sealed record WorkloadSnapshot(
    [property: Id(0)] string WorkloadKey,
    [property: Id(1)] string Version,
    [property: Id(2)] bool Ready,
    [property: Id(3)] ScopeIdentity? Scope,
    [property: Id(4)] ImmutableArray<XdsResource> Listeners,
    [property: Id(5)] ImmutableArray<XdsResource> Clusters)
{
    public static WorkloadSnapshot NotReady(string key) => new(key, "", false, null, [], []);
}
