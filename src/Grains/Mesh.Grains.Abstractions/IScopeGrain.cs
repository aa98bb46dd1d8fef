using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// A workload's dependency scope (Istio's SidecarScope). Key: <c>KIND/NAMESPACE/WORKLOAD</c>
/// (<see cref="Keys.ScopeKey.From"/>). Builds the per-workload listeners and routes and the list
/// of clusters the workload sees; shared by every proxy of the workload.
/// </summary>
[Alias("mesh.IScopeGrain")]
public interface IScopeGrain : IGrainWithStringKey
{
    /// <summary>Subscribes a gateway (leased) and returns the current snapshot, building it on first use.</summary>
    [Alias("Subscribe")]
    Task<ScopeSnapshot> SubscribeAsync(IXdsGatewayObserver observer, ScopeIdentity identity);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IXdsGatewayObserver observer);

    /// <summary>A service this scope sees changed the parts scopes use.</summary>
    [OneWay, Alias("OnServiceChanged")]
    Task OnServiceChangedAsync(ServiceScopeView view);

    /// <summary>A namespace (or the mesh's namespace list) this scope depends on changed.</summary>
    [OneWay, Alias("OnConfigChanged")]
    Task OnConfigChangedAsync();

    [Alias("GetSnapshot")]
    Task<ScopeSnapshot> GetSnapshotAsync();
}
