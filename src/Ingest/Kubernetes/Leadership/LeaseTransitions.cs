using k8s;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// Raises a held Lease's <c>leaseTransitions</c> to the writer fence's epoch. Needed when the Lease was
/// deleted (or edited) after epochs had been claimed: LeaseLock then counts from 0 again and the new
/// leader's epoch would stay below the fence for ever. Replaces the Lease only while this identity
/// holds it, with its resourceVersion as precondition, so it never takes the Lease from anyone and the
/// elector's own renewals keep the raised count.
/// </summary>
internal static class LeaseTransitions
{
    /// <returns>The Lease's <c>leaseTransitions</c> after the raise, or null if this replica (<see cref="IngestLeaderElectionOptions.Identity"/>) no longer holds it.</returns>
    public static async Task<int?> RaiseAsync(IKubernetes kube, IngestLeaderElectionOptions options, long atLeast, CancellationToken cancellationToken)
    {
        var lease = await kube.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (lease.Spec?.HolderIdentity != options.Identity)
        {
            return null;
        }
        if ((lease.Spec.LeaseTransitions ?? 0) >= atLeast)
        {
            return lease.Spec.LeaseTransitions;
        }
        lease.Spec.LeaseTransitions = checked((int)atLeast);
        var replaced = await kube.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        return replaced.Spec.LeaseTransitions ?? 0;
    }
}
