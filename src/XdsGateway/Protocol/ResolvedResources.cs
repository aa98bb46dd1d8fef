using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// The resources a proxy should hold for one type, as of now. When <see cref="Complete"/> is false
/// some of the set is still being fetched: a SotW LDS/CDS response must not be sent,
/// since a partial set deletes resources on the client. <see cref="Resources"/> is keyed by name.
/// </summary>
public sealed record ResolvedResources(bool Complete, ImmutableSortedDictionary<string, XdsResource> Resources)
{
    public static readonly ResolvedResources Empty = new(true, ImmutableSortedDictionary<string, XdsResource>.Empty.WithComparers(StringComparer.Ordinal));
}
