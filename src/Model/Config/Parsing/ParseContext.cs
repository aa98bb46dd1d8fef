using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Collects the parse errors of one object. The identity (kind, namespace, name) is filled in as soon as
/// the parser knows it, so every error names its object; duplicate errors are reported once.
/// </summary>
internal sealed class ParseContext(string source)
{
    private readonly List<ConfigError> errors = [];
    private readonly HashSet<(string Field, string Reason)> seen = [];
    private readonly HashSet<YamlNode> read = new(ReferenceEqualityComparer.Instance);

    public string Source { get; } = source;

    public string? Kind { get; set; }

    public string? Namespace { get; set; }

    public string? Name { get; set; }

    public bool HasErrors => errors.Count > 0;

    public void Error(string field, string reason)
    {
        if (seen.Add((field, reason)))
        {
            errors.Add(new ConfigError(Source, Kind, Namespace, Name, field, reason));
        }
    }

    public bool HasErrorAt(string field) => errors.Exists(e => string.Equals(e.Field, field, StringComparison.Ordinal));

    public ImmutableArray<ConfigError> Errors => [.. errors];

    private readonly List<string> notTranslated = [];

    /// <summary>Fields a reader read (to validate them) that Mesh does not translate: reported as unsupported.</summary>
    public IReadOnlyList<string> NotTranslated => notTranslated;

    public void MarkNotTranslated(string field) => notTranslated.Add(field);

    /// <summary>Remembers that a reader looked up the mapping key <paramref name="key"/>.</summary>
    public void MarkRead(YamlNode key) => read.Add(key);

    /// <summary>Whether a reader looked up the mapping key <paramref name="key"/>.</summary>
    public bool WasRead(YamlNode key) => read.Contains(key);
}
