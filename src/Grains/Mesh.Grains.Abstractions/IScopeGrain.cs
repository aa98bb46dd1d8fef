using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// A shared dependency scope (Istio's SidecarScope). Key: what determines it
/// (<see cref="Keys.ScopeKey.From"/>): every workload of a namespace that the same Sidecar (or none)
/// applies to shares one. Builds the outbound listeners and routes and the list of clusters its
/// proxies see, from the silo's catalog; it depends only on what it sees.
/// </summary>
[Alias("mesh.IScopeGrain")]
public interface IScopeGrain : IGrainWithStringKey
{
    /// <summary>Subscribes a gateway (leased) and returns the current snapshot, building it on first use.</summary>
    [Alias("Subscribe")]
    Task<ScopeSnapshot> SubscribeAsync(IXdsGatewayObserver observer, ScopeIdentity identity);

    /// <summary>Renews a gateway's lease as <see cref="SubscribeAsync"/> does; the snapshot only when its version is not <paramref name="heldVersion"/> (null: the gateway holds the current one).</summary>
    [Alias("Renew")]
    Task<ScopeSnapshot?> RenewAsync(IXdsGatewayObserver observer, ScopeIdentity identity, string heldVersion);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IXdsGatewayObserver observer);

    /// <summary>Something this scope reads changed (the silo's catalog says so): rebuild.</summary>
    [OneWay, Alias("OnInputsChanged")]
    Task OnInputsChangedAsync();

    [Alias("GetSnapshot")]
    Task<ScopeSnapshot> GetSnapshotAsync();
}
