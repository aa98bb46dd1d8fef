namespace Mesh.Model.Config;

/// <summary>A Kubernetes <c>v1 Pod</c>: identity, labels (in <see cref="ObjectMeta"/>), IP and service account.</summary>
public sealed record Pod(ObjectMeta Meta, string? PodIP, string ServiceAccount, string? NodeName, string Phase) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Pod;
}
