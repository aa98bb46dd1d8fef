using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>One page of a list: stored objects, the list's resource version and, when more remain, a continue token.</summary>
internal sealed record KubeListPage(IReadOnlyList<JsonObject> Items, long ResourceVersion, string? Continue, int? RemainingItemCount);
