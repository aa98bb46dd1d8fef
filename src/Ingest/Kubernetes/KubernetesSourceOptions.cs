namespace Mesh.Ingest.Kubernetes;

/// <summary>Options of the Kubernetes source (section <c>Kubernetes</c>).</summary>
public sealed class KubernetesSourceOptions
{
    public const string Section = "Kubernetes";

    /// <summary>A kubeconfig file; empty: the in-cluster service account when running in a pod, else ~/.kube/config.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context (default: its current context).</summary>
    public string? Context { get; set; }

    /// <summary>An API server URL used as is, without credentials (e.g. <c>kubectl proxy</c>, or a test server).</summary>
    public string? Host { get; set; }

    /// <summary>Istio's discoverySelectors: label selectors over namespaces, OR-ed (empty: every namespace).</summary>
    public List<string> DiscoverySelectors { get; } = [];

    /// <summary>Quiet time in a namespace before its changes are applied (Istio's PILOT_DEBOUNCE_AFTER).</summary>
    public TimeSpan DebounceAfter { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest a namespace's burst of changes can delay its apply (Istio's PILOT_DEBOUNCE_MAX).</summary>
    public TimeSpan DebounceMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconciler period: every service and namespace is re-derived and re-written (unchanged content produces no pushes).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait before retrying an apply that failed (e.g. the cluster is unreachable).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Elect one writer on a Lease (section <c>Kubernetes:LeaderElection</c>) so several ingests can run;
    /// only the leader writes, and its writes carry its epoch. Needs get/create/update on leases.
    /// </summary>
    public bool LeaderElection { get; set; } = true;

    /// <summary>Write each ServiceFence's <c>status.domains</c> back (as Slime does; the leader only). Needs patch on <c>servicefences/status</c>.</summary>
    public bool WriteFenceStatus { get; set; } = true;

    /// <summary>How often the fences whose statuses changed are written back.</summary>
    public TimeSpan FenceStatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many ServiceFence status writes per <see cref="FenceStatusInterval"/> (the rest wait for the next).</summary>
    public int FenceStatusWrites { get; set; } = 100;

    /// <summary>List/watch timing.</summary>
    public KubeInformerOptions Informer { get; set; } = new();
}
