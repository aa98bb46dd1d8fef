namespace Mesh.Model.Config;

/// <summary>Base of every parsed Kubernetes or Istio object.</summary>
public abstract record ConfigObject(ObjectMeta Meta)
{
    public abstract ConfigKind Kind { get; }

    public ConfigKey Key => new(Kind, Meta.Namespace, Meta.Name);
}
