using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One service. Key: the service FQDN (<see cref="Keys.ServiceKey.From"/>). Holds ports, VIPs,
/// endpoints and the routing config that applies; builds its clusters, load assignments, virtual
/// hosts and proxyless listeners/routes once, and notifies only what changed (incremental EDS).
/// </summary>
[Alias("mesh.IServiceGrain")]
public interface IServiceGrain : IGrainWithStringKey
{
    [Alias("Update")]
    Task UpdateAsync(ServiceUpdate update);

    /// <summary>Subscribes a gateway (leased) and returns every current resource.</summary>
    [Alias("Subscribe")]
    Task<ServiceSnapshot> SubscribeAsync(IXdsGatewayObserver observer);

    /// <summary>
    /// Renews a gateway's lease: subscribes it as <see cref="SubscribeAsync"/> does, and returns the
    /// current resources only when their version (<see cref="ServiceSnapshot.VersionOf"/>) is not
    /// <paramref name="heldVersion"/>; null when the gateway already holds them (a notification it
    /// missed makes them differ, and the renewal repairs it).
    /// </summary>
    [Alias("Renew")]
    Task<ServiceSnapshot?> RenewAsync(IXdsGatewayObserver observer, string heldVersion);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IXdsGatewayObserver observer);

    /// <summary>Holds <paramref name="routing"/> as staged rollout <paramref name="rollout"/>'s candidate: its resources that differ from the baseline's are served to that rollout's cohort.</summary>
    [Alias("SetCandidate")]
    Task SetCandidateAsync(string rollout, ServiceRouting routing);

    /// <summary>Ends rollout <paramref name="rollout"/>'s candidate: <paramref name="commit"/> makes it the baseline, otherwise it is dropped.</summary>
    [Alias("EndCandidate")]
    Task EndCandidateAsync(string rollout, bool commit);

    /// <summary>The service as scopes see it (ports, VIPs, cluster names, virtual hosts).</summary>
    [Alias("GetView")]
    Task<ServiceScopeView> GetViewAsync();
}
