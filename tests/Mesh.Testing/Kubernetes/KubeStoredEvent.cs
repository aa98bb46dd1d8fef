using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// One write in the store's history, as etcd keeps it: ADDED, MODIFIED or DELETED at a resource
/// version, with the object after the write and, for MODIFIED and DELETED, before it (so a watch
/// with a selector can tell an object entering its selection from one leaving it).
/// </summary>
internal sealed record KubeStoredEvent(string Type, KubeResourceType ResourceType, long ResourceVersion, JsonObject Object, JsonObject? Previous);
