using System.Collections.Immutable;
using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// A gateway's callback endpoint. Grains notify the few gateways with subscribers, and each gateway
/// fans the bytes out to its local streams. Subscriptions are leased: a gateway re-subscribes
/// periodically and re-fetches current versions, so nothing missed in a gap is lost.
/// </summary>
[Alias("mesh.IXdsGatewayObserver")]
public interface IXdsGatewayObserver : IGrainObserver
{
    /// <summary>A service's resources changed (only those that changed, and removals).</summary>
    [OneWay, Alias("OnResourcesChanged")]
    Task OnResourcesChangedAsync(ResourceChange change);

    /// <summary>A scope rebuilt its resources.</summary>
    [OneWay, Alias("OnScopeChanged")]
    Task OnScopeChangedAsync(ScopeSnapshot snapshot);

    /// <summary>A workload rebuilt its own resources, or moved to another scope.</summary>
    [OneWay, Alias("OnWorkloadChanged")]
    Task OnWorkloadChangedAsync(WorkloadSnapshot snapshot);

    /// <summary>The staged rollouts in flight changed (a stage widened, a rollout ended): every one, as <see cref="IRolloutTableGrain"/> holds them.</summary>
    [OneWay, Alias("OnRolloutsChanged")]
    Task OnRolloutsChangedAsync(ImmutableArray<RolloutView> rollouts);
}
