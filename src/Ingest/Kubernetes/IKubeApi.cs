using k8s;

namespace Mesh.Ingest.Kubernetes;

/// <summary>List and watch one kind at one version: the two calls an informer makes.</summary>
public interface IKubeApi
{
    /// <summary>One page of a list across all namespaces (<paramref name="continueToken"/> null for the first).</summary>
    Task<KubeList> ListAsync(KubeKind kind, string version, string? continueToken, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> with bookmarks, for at most
    /// <paramref name="timeout"/>. ERROR events (e.g. 410 Gone) are reported through
    /// <paramref name="onError"/>, after which the server ends the stream; a dropped connection throws.
    /// </summary>
    IAsyncEnumerable<KubeWatchEvent> WatchAsync(KubeKind kind, string version, string resourceVersion, TimeSpan timeout, Action<Exception> onError, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a JSON patch (RFC 6902) to the <c>status</c> subresource of a namespaced custom
    /// object. Throws <see cref="k8s.Autorest.HttpOperationException"/> as the server answers (404: no
    /// such object, or its CRD has no status subresource; 403: RBAC).
    /// </summary>
    Task PatchStatusAsync(KubeKind kind, string version, string ns, string name, string jsonPatch, CancellationToken cancellationToken);
}

/// <summary>A list page: the items, the list's resourceVersion and the token for the next page.</summary>
public sealed record KubeList(IReadOnlyList<KubeItem> Items, string ResourceVersion, string? Continue)
{
    /// <summary>
    /// The token for the next page; null on the last. An empty or blank token is the last page too: the
    /// API server writes <c>"continue": ""</c> on a custom resource list's last page, and any server may.
    /// </summary>
    public string? Continue { get; } = string.IsNullOrWhiteSpace(Continue) ? null : Continue;
}

/// <summary>A watch event: the item (null for a bookmark) and the resourceVersion it brings the watch to.</summary>
public readonly record struct KubeWatchEvent(WatchEventType Type, KubeItem? Item, string? ResourceVersion);
