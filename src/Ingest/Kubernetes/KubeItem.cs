using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// One object as an informer caches it: identity (namespace, name, uid), the resourceVersion it was
/// read at, and what the mesh takes from it: the model <see cref="Config"/>, or the
/// <see cref="Errors"/> it was rejected with. <see cref="Content"/> is a hash of that effective
/// content, so a change the mesh does not read (a Pod's status heartbeat, a new resourceVersion)
/// is recognised as no change.
/// </summary>
public sealed record KubeItem(
    string Namespace,
    string Name,
    string Uid,
    string ResourceVersion,
    ConfigObject? Config,
    ImmutableArray<ConfigError> Errors,
    string Content)
{
    public (string Namespace, string Name) Key => (Namespace, Name);
}
