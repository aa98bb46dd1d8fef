using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// <see cref="IKubeApi"/> over KubernetesClient: typed calls for the core kinds, custom-object calls for Istio's.
/// Each page's continue token goes into <see cref="KubeList"/> as sent, which reads "" as the last page.
/// </summary>
public sealed class KubernetesApi(IKubernetes client) : IKubeApi
{
    public async Task<KubeList> ListAsync(KubeKind kind, string version, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        switch (kind.Kind)
        {
            case "Namespace":
                var ns = await client.CoreV1.ListNamespaceAsync(continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new KubeList([.. ns.Items.Select(KubeObjects.FromNamespace)], ns.ResourceVersion(), ns.Continue());
            case "Node":
                var nodes = await client.CoreV1.ListNodeAsync(continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new KubeList([.. nodes.Items.Select(KubeObjects.FromNode)], nodes.ResourceVersion(), nodes.Continue());
            case "Service":
                var svc = await client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new KubeList([.. svc.Items.Select(KubeObjects.FromService)], svc.ResourceVersion(), svc.Continue());
            case "Pod":
                var pods = await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new KubeList([.. pods.Items.Select(KubeObjects.FromPod)], pods.ResourceVersion(), pods.Continue());
            case "EndpointSlice":
                var slices = await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new KubeList([.. slices.Items.Select(KubeObjects.FromEndpointSlice)], slices.ResourceVersion(), slices.Continue());
            default:
                var raw = await client.CustomObjects.ListCustomObjectForAllNamespacesAsync(kind.Group, version, kind.Plural, continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false);
                var list = raw is JsonElement e ? e : JsonSerializer.SerializeToElement(raw);
                var items = list.TryGetProperty("items", out var arr) && arr.ValueKind == JsonValueKind.Array
                    ? arr.EnumerateArray().Select(i => KubeObjects.FromCustom(kind, i)).ToList()
                    : [];
                var meta = list.TryGetProperty("metadata", out var m) ? m : default;
                return new KubeList(items, Prop(meta, "resourceVersion") ?? "", Prop(meta, "continue"));
        }
    }

    public async IAsyncEnumerable<KubeWatchEvent> WatchAsync(KubeKind kind, string version, string resourceVersion, TimeSpan timeout,
        Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var seconds = (int)Math.Max(1, timeout.TotalSeconds);
        switch (kind.Kind)
        {
            case "Namespace":
                await foreach (var (t, o) in client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return Event(t, o.Metadata, () => KubeObjects.FromNamespace(o));
                }
                break;
            case "Node":
                await foreach (var (t, o) in client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return Event(t, o.Metadata, () => KubeObjects.FromNode(o));
                }
                break;
            case "Service":
                await foreach (var (t, o) in client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return Event(t, o.Metadata, () => KubeObjects.FromService(o));
                }
                break;
            case "Pod":
                await foreach (var (t, o) in client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return Event(t, o.Metadata, () => KubeObjects.FromPod(o));
                }
                break;
            case "EndpointSlice":
                await foreach (var (t, o) in client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return Event(t, o.Metadata, () => KubeObjects.FromEndpointSlice(o));
                }
                break;
            default:
                await foreach (var (t, o) in client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(kind.Group, version, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    var e = o is JsonElement j ? j : JsonSerializer.SerializeToElement(o);
                    yield return t == WatchEventType.Bookmark
                        ? new KubeWatchEvent(t, null, KubeObjects.ResourceVersionOf(e))
                        : new KubeWatchEvent(t, KubeObjects.FromCustom(kind, e), KubeObjects.ResourceVersionOf(e));
                }
                break;
        }
    }

    public Task PatchStatusAsync(KubeKind kind, string version, string ns, string name, string jsonPatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(jsonPatch, V1Patch.PatchType.JsonPatch), kind.Group, version, ns, kind.Plural, name, cancellationToken: cancellationToken);
    }

    private static KubeWatchEvent Event(WatchEventType type, V1ObjectMeta? meta, Func<KubeItem> item) =>
        type == WatchEventType.Bookmark ? new KubeWatchEvent(type, null, meta?.ResourceVersion) : new KubeWatchEvent(type, item(), meta?.ResourceVersion);

    private static string? Prop(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
