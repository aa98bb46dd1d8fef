using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>The parts of Kubernetes <c>metadata</c> that Mesh uses.</summary>
public sealed record ObjectMeta(
    string Name,
    string Namespace,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Annotations,
    string? Uid = null,
    string? ResourceVersion = null)
{
    public static ObjectMeta Of(string name, string ns) =>
        new(name, ns, ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty);
}
