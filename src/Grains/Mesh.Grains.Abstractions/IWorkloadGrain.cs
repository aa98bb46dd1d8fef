using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One workload (the proxies of a Deployment). Key: <see cref="Keys.WorkloadKey.From"/>. Decides
/// which shared scope serves it (the Sidecar that selects its labels, or none) and builds what is
/// truly per workload (a sidecar's inbound listener and clusters); it reads only its own
/// namespace's config.
/// </summary>
[Alias("mesh.IWorkloadGrain")]
public interface IWorkloadGrain : IGrainWithStringKey
{
    /// <summary>Subscribes a gateway (leased) and returns the current snapshot, building it on first use.</summary>
    [Alias("Subscribe")]
    Task<WorkloadSnapshot> SubscribeAsync(IXdsGatewayObserver observer, WorkloadIdentity identity);

    /// <summary>Renews a gateway's lease as <see cref="SubscribeAsync"/> does; the snapshot only when its version is not <paramref name="heldVersion"/> (null: the gateway holds the current one).</summary>
    [Alias("Renew")]
    Task<WorkloadSnapshot?> RenewAsync(IXdsGatewayObserver observer, WorkloadIdentity identity, string heldVersion);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IXdsGatewayObserver observer);

    /// <summary>Its namespace's config changed (the silo's catalog says so): rebuild.</summary>
    [OneWay, Alias("OnInputsChanged")]
    Task OnInputsChangedAsync();

    [Alias("GetSnapshot")]
    Task<WorkloadSnapshot> GetSnapshotAsync();
}
