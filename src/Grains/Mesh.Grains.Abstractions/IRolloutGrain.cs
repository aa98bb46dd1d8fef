using System.Collections.Immutable;
using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// The staged rollouts of one <c>RolloutPolicy</c>. Key: <c>NAMESPACE/POLICY</c>. Holds the rollout
/// in flight (candidate routing per host, stage, gates' counts) and the changes queued behind it,
/// persisted; writes candidates to service grains, publishes the stage to the
/// <see cref="IRolloutTableGrain"/>, advances after each bake, rolls back on a failed gate.
/// Rollout ids are <c>NAMESPACE/POLICY#N</c>.
/// </summary>
[Alias("mesh.IRolloutGrain")]
public interface IRolloutGrain : IGrainWithStringKey
{
    /// <summary>
    /// A service's governed change: joins the rollout in flight (the same change to other hosts),
    /// supersedes or queues behind it, or starts one. One-way: the rollout grain calls service
    /// grains (to set and end candidates), so a service grain never waits on it.
    /// </summary>
    [OneWay, Alias("Propose")]
    Task ProposeAsync(RolloutProposal proposal);

    /// <summary>
    /// A cohort proxy NACKed a candidate resource (a gateway's report, with how many cohort streams
    /// that gateway holds, for the ratio gate).
    /// </summary>
    [OneWay, Alias("Nack")]
    Task NackAsync(string rollout, string nodeId, string resource, string detail, string gateway, int gatewayCohort);

    [Alias("Pause")]
    Task<RolloutStatus?> PauseAsync();

    [Alias("Resume")]
    Task<RolloutStatus?> ResumeAsync();

    /// <summary>Ends the current stage now (a manual policy's promote; on an automatic one it skips the rest of the bake).</summary>
    [Alias("Promote")]
    Task<RolloutStatus?> PromoteAsync();

    /// <summary>Rolls the cohort back to the baseline and ends the rollout.</summary>
    [Alias("Abort")]
    Task<RolloutStatus?> AbortAsync(string reason);

    /// <summary>The rollout in flight (null: none) and the last ended ones, newest first.</summary>
    [Alias("GetStatus")]
    Task<ImmutableArray<RolloutStatus>> GetStatusAsync();

    /// <summary>Re-arms the rollout after an activation elsewhere (its timer died with its silo); sent by the rollout table.</summary>
    [OneWay, Alias("Wake")]
    Task WakeAsync();
}

/// <summary>
/// The mesh's rollouts in flight, as gateways need them. Key: <c>default</c>. Rollout grains
/// publish each stage; gateways subscribe (leased) and pick each stream's generation locally.
/// </summary>
[Alias("mesh.IRolloutTableGrain")]
public interface IRolloutTableGrain : IGrainWithStringKey
{
    /// <summary>Records a rollout's stage (the newer by sequence wins); an ended rollout leaves the table.</summary>
    [Alias("Publish")]
    Task PublishAsync(RolloutView view);

    /// <summary>Subscribes a gateway (leased) and returns every rollout in flight.</summary>
    [Alias("Subscribe")]
    Task<ImmutableArray<RolloutView>> SubscribeAsync(IXdsGatewayObserver observer);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IXdsGatewayObserver observer);

    [Alias("GetRollouts")]
    Task<ImmutableArray<RolloutView>> GetRolloutsAsync();
}

/// <summary>
/// RolloutPolicies created through the admin API (<c>/api/v1/rolloutpolicies</c>), persisted. Key:
/// <c>default</c>. A service asks it which policy governs a routing change when the ingest's
/// sources (manifests, Kubernetes) name none.
/// </summary>
[Alias("mesh.IRolloutPolicyStoreGrain")]
public interface IRolloutPolicyStoreGrain : IGrainWithStringKey
{
    [Alias("Put")]
    Task PutAsync(Model.Config.RolloutPolicy policy);

    /// <summary>False when there was no such policy.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string ns, string name);

    [Alias("GetAll")]
    Task<ImmutableArray<Model.Config.RolloutPolicy>> GetAllAsync();

    /// <summary>The stored policy that governs a change of <paramref name="routing"/>, or null.</summary>
    [Alias("Governing")]
    Task<Model.Config.RolloutPolicy?> GoverningAsync(ServiceRouting routing);
}
