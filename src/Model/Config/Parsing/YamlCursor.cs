using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// A position in a YAML document: the node (null when absent) and its field path, e.g.
/// <c>spec.http[0].route[1].destination.host</c>. Readers report type errors at that path and return
/// null or empty values, so one bad field never hides the others.
/// </summary>
internal readonly struct YamlCursor
{
    private readonly YamlNode? node;

    public YamlCursor(YamlNode? node, string path, ParseContext context)
    {
        this.node = IsNull(node) ? null : node;
        Path = path;
        Context = context;
    }

    public string Path { get; }

    public ParseContext Context { get; }

    public bool Exists => node is not null;

    public YamlNode? Node => node;

    /// <summary>1-based line of the node inside its chunk (0 when absent).</summary>
    public long Line => node is null ? 0 : node.Start.Line;

    public YamlCursor Field(string key)
    {
        var childPath = Path.Length == 0 ? key : Path + "." + key;
        if (node is null)
        {
            return new YamlCursor(null, childPath, Context);
        }
        if (node is not YamlMappingNode mapping)
        {
            Error("expected a mapping, got " + Describe(node));
            return new YamlCursor(null, childPath, Context);
        }
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && string.Equals(name, key, StringComparison.Ordinal))
            {
                Context.MarkRead(k);
                return new YamlCursor(v, childPath, Context);
            }
        }
        return new YamlCursor(null, childPath, Context);
    }

    /// <summary>True when this is a mapping holding <paramref name="key"/>, even with an empty value (<c>stable:</c>), which <see cref="Field"/> reports as absent.</summary>
    public bool HasKey(string key)
    {
        if (node is not YamlMappingNode mapping)
        {
            return false;
        }
        foreach (var k in mapping.Children.Keys)
        {
            if (k is YamlScalarNode { Value: { } name } && string.Equals(name, key, StringComparison.Ordinal))
            {
                Context.MarkRead(k);
                return true;
            }
        }
        return false;
    }

    public void Error(string reason) => Context.Error(Path, reason);

    /// <summary>Reports this field, when present, as read (for validation) but not translated by Mesh.</summary>
    public YamlCursor NotTranslated()
    {
        if (node is not null)
        {
            Context.MarkNotTranslated(Path);
        }
        return this;
    }

    public string? String()
    {
        if (node is null)
        {
            return null;
        }
        if (node is YamlScalarNode scalar)
        {
            return scalar.Value ?? "";
        }
        Error("expected a string, got " + Describe(node));
        return null;
    }

    /// <summary>A string that must be present and non-empty; reports <c>is required</c> otherwise.</summary>
    public string RequiredString()
    {
        var value = String();
        if (string.IsNullOrEmpty(value) && (node is null || node is YamlScalarNode))
        {
            Error("is required");
        }
        return value ?? "";
    }

    public int? Int()
    {
        var text = Scalar("an integer");
        if (text is null)
        {
            return null;
        }
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        Error($"expected an integer, got '{text}'");
        return null;
    }

    public double? Double()
    {
        var text = Scalar("a number");
        if (text is null)
        {
            return null;
        }
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }
        Error($"expected a number, got '{text}'");
        return null;
    }

    public bool? Bool()
    {
        var text = Scalar("a boolean");
        if (text is null)
        {
            return null;
        }
        if (bool.TryParse(text, out var value))
        {
            return value;
        }
        Error($"expected true or false, got '{text}'");
        return null;
    }

    public TimeSpan? Duration()
    {
        var text = Scalar("a duration");
        if (text is null)
        {
            return null;
        }
        if (DurationParser.TryParse(text, out var value))
        {
            return value;
        }
        Error($"invalid duration '{text}': expected a number with a unit, e.g. 10s, 1.5s, 500ms, 1m, 1h");
        return null;
    }

    /// <summary>The items of a list, each with its <c>[i]</c> path; empty when absent.</summary>
    public ImmutableArray<YamlCursor> Items()
    {
        if (node is null)
        {
            return [];
        }
        if (node is not YamlSequenceNode sequence)
        {
            Error("expected a list, got " + Describe(node));
            return [];
        }
        var items = ImmutableArray.CreateBuilder<YamlCursor>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            items.Add(new YamlCursor(sequence.Children[i], Path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", Context));
        }
        return items.MoveToImmutable();
    }

    /// <summary>The entries of a mapping, in document order, each with its <c>.key</c> path; empty when absent.</summary>
    public ImmutableArray<(string Key, YamlCursor Value)> Entries()
    {
        if (node is null)
        {
            return [];
        }
        if (node is not YamlMappingNode mapping)
        {
            Error("expected a mapping, got " + Describe(node));
            return [];
        }
        var entries = ImmutableArray.CreateBuilder<(string, YamlCursor)>(mapping.Children.Count);
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode { Value: { } key })
            {
                Context.MarkRead(k);
                entries.Add((key, new YamlCursor(v, Path + "." + key, Context)));
            }
            else
            {
                Error("expected string keys, got " + Describe(k));
            }
        }
        return entries.MoveToImmutable();
    }

    public ImmutableArray<string> Strings()
    {
        var items = Items();
        var result = ImmutableArray.CreateBuilder<string>(items.Length);
        foreach (var item in items)
        {
            result.Add(item.String() ?? "");
        }
        return result.MoveToImmutable();
    }

    public ImmutableSortedDictionary<string, string> StringMap()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries())
        {
            builder[key] = value.String() ?? "";
        }
        return builder.ToImmutable();
    }

    /// <summary>
    /// The paths of the mapping keys under this node that no reader looked up (an unread key's
    /// children are not listed), e.g. <c>spec.http[0].fault</c>: fields Mesh does not translate.
    /// </summary>
    public ImmutableArray<string> UnreadFields()
    {
        var unread = ImmutableArray.CreateBuilder<string>();
        CollectUnread(node, Path, unread);
        return unread.ToImmutable();
    }

    private void CollectUnread(YamlNode? at, string path, ImmutableArray<string>.Builder unread)
    {
        switch (at)
        {
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                    {
                        continue;
                    }
                    var childPath = path.Length == 0 ? key : path + "." + key;
                    if (Context.NotTranslated.Contains(childPath))
                    {
                        continue; // reported as a whole
                    }
                    if (Context.WasRead(k))
                    {
                        CollectUnread(v, childPath, unread);
                    }
                    else
                    {
                        unread.Add(childPath);
                    }
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    CollectUnread(sequence.Children[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", unread);
                }
                break;
        }
    }

    private string? Scalar(string expected)
    {
        if (node is null)
        {
            return null;
        }
        if (node is YamlScalarNode scalar)
        {
            return scalar.Value ?? "";
        }
        Error($"expected {expected}, got {Describe(node)}");
        return null;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    /// <summary>YAML null (<c>~</c>, <c>null</c> or nothing) counts as absent, as in Kubernetes.</summary>
    private static bool IsNull(YamlNode? node) =>
        node is null
        || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };
}
