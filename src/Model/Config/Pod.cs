using Mesh.Model.Services;

namespace Mesh.Model.Config;

/// <summary>
/// A Kubernetes <c>v1 Pod</c>: identity, labels (in <see cref="ObjectMeta"/>), IP and service account.
/// <see cref="NodeLocality"/> is the locality of the Node it runs on, when a source knows its Nodes
/// (the Kubernetes source fills it in; a manifest Pod has none).
/// </summary>
public sealed record Pod(ObjectMeta Meta, string? PodIP, string ServiceAccount, string? NodeName, string Phase, Locality? NodeLocality = null) : ConfigObject(Meta)
{
    /// <summary>Istio's per-pod locality override, <c>region.zone.subzone</c> (a label value cannot hold '/').</summary>
    public const string LocalityLabel = "istio-locality";

    public override ConfigKind Kind => ConfigKind.Pod;
}
