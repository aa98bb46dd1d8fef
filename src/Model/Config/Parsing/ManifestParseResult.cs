using System.Collections.Immutable;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// The objects read from one manifest and the errors of those that were rejected.
/// <see cref="Sources"/> is parallel to <see cref="Objects"/>: <c>Sources[i]</c> names the document
/// <c>Objects[i]</c> came from (e.g. <c>bookinfo.yaml#3 (line 41)</c>), for use as a validation source.
/// </summary>
public sealed record ManifestParseResult(
    ImmutableArray<ConfigObject> Objects,
    ImmutableArray<string> Sources,
    ImmutableArray<ConfigError> Errors)
{
    public static ManifestParseResult Empty { get; } = new([], [], []);

    public bool IsValid => Errors.IsEmpty;
}
