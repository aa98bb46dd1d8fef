namespace Mesh.Model.Config;

/// <summary>A Kubernetes <c>v1 Namespace</c> (labels drive discovery selectors).</summary>
public sealed record NamespaceObject(ObjectMeta Meta) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Namespace;
}
