namespace Mesh.Testing.Kubernetes;

/// <summary>What a request to <see cref="FakeKubeApiServer"/> asked for, as the apiserver's audit log names verbs.</summary>
public enum KubeApiVerb
{
    Unknown,
    Discovery,
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
}
