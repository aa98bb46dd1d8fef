namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>
/// Options of the ingest's leader election (section <c>Kubernetes:LeaderElection</c>, env <c>Kubernetes__LeaderElection__KNOB</c>) on a
/// <c>coordination.k8s.io/v1</c> Lease. The timings are client-go's defaults; they must keep
/// <see cref="LeaseDuration"/> &gt; <see cref="RenewDeadline"/> &gt; <see cref="RetryPeriod"/>.
/// </summary>
public sealed class IngestLeaderElectionOptions
{
    public const string Section = "Kubernetes:LeaderElection";

    /// <summary>Namespace of the Lease.</summary>
    public string LeaseNamespace { get; set; } = "mesh-system";

    /// <summary>Name of the Lease every ingest replica of one mesh competes for.</summary>
    public string LeaseName { get; set; } = "mesh-ingest";

    /// <summary>This replica's holder identity in the Lease; unique per process (default: host name and process id).</summary>
    public string Identity { get; set; } = $"{Environment.MachineName}_{Environment.ProcessId}";

    /// <summary>How long a contender waits, after it last saw the Lease change, before taking it over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failed renewal before it steps down.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait between attempts to acquire or renew the Lease (and to claim the writer fence).</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}
