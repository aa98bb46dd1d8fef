namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// A list whose paging does not end: more pages than <see cref="KubeInformerOptions.MaxListPages"/>, or
/// the same continue token twice in a row. The informer counts it, backs off and lists again.
/// </summary>
internal sealed class KubeListPagingException(string reason, string message) : Exception(message)
{
    /// <summary>The <c>reason</c> of <c>mesh_k8s_watch_failures_total</c> for more pages than the cap.</summary>
    public const string TooManyPages = "too-many-pages";

    /// <summary>The <c>reason</c> of <c>mesh_k8s_watch_failures_total</c> for a continue token sent twice in a row.</summary>
    public const string RepeatedContinue = "repeated-continue";

    /// <summary><see cref="TooManyPages"/> or <see cref="RepeatedContinue"/>.</summary>
    public string Reason { get; } = reason;
}
