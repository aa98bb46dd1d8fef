namespace Mesh.Ingest.Manifests;

/// <summary>Options of the manifest-directory source (section <c>Manifests</c>).</summary>
public sealed class ManifestSourceOptions
{
    public const string Section = "Manifests";

    /// <summary>The directory holding Kubernetes/Istio YAML manifests (searched recursively for *.yaml and *.yml).</summary>
    public string Directory { get; set; } = "";

    /// <summary>Quiet time after the last change before applying (Istio's PILOT_DEBOUNCE_AFTER).</summary>
    public TimeSpan DebounceAfter { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest a burst of changes can delay an apply (Istio's PILOT_DEBOUNCE_MAX).</summary>
    public TimeSpan DebounceMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the directory is rescanned in case a file-system event was missed.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Reconciler period: the whole source is re-applied to the grains this often, so grain state
    /// lost on a storage failover is re-derived. Unchanged content produces no pushes. Default 5 min.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait before retrying an apply that failed (e.g. storage unavailable).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);
}
