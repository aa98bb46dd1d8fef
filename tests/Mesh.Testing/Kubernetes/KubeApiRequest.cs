namespace Mesh.Testing.Kubernetes;

/// <summary>
/// One request the fake server received: method, path and raw query (with its leading <c>?</c>, or
/// empty), the verb it was read as and the Kind it addressed (null for discovery and unknown paths).
/// </summary>
public sealed record KubeApiRequest(string Method, string Path, string Query, KubeApiVerb Verb, string? Kind);
