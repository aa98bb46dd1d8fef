namespace Mesh.Model.Config;

/// <summary>Identifies one config object: kind, namespace and name.</summary>
public readonly record struct ConfigKey(ConfigKind Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}
