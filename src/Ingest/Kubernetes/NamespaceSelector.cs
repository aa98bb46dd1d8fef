using System.Collections.Immutable;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Istio's <c>discoverySelectors</c>: label selectors over Namespaces, OR-ed; a namespace is served
/// when any selector matches its labels, and every namespace is served when there are none. Each
/// selector uses the Kubernetes label-selector syntax, requirements AND-ed:
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k</c>, <c>!k</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>.
/// </summary>
public sealed class NamespaceSelector
{
    private readonly ImmutableArray<ImmutableArray<Requirement>> _selectors;

    private NamespaceSelector(ImmutableArray<ImmutableArray<Requirement>> selectors, ImmutableArray<string> text)
    {
        _selectors = selectors;
        Text = text;
    }

    public static readonly NamespaceSelector All = new([], []);

    /// <summary>The selectors as given.</summary>
    public ImmutableArray<string> Text { get; }

    public bool SelectsAll => _selectors.IsEmpty;

    /// <summary>Parses selectors; throws <see cref="FormatException"/> naming the selector and the problem.</summary>
    public static NamespaceSelector Parse(IEnumerable<string> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        var text = selectors.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).ToImmutableArray();
        return new NamespaceSelector([.. text.Select(ParseOne)], text);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return _selectors.IsEmpty || _selectors.Any(requirements => requirements.All(r => r.Matches(labels)));
    }

    private static ImmutableArray<Requirement> ParseOne(string selector)
    {
        var requirements = ImmutableArray.CreateBuilder<Requirement>();
        foreach (var part in SplitTopLevel(selector))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                throw new FormatException($"discovery selector '{selector}': empty requirement");
            }
            requirements.Add(ParseRequirement(selector, p));
        }
        return requirements.ToImmutable();
    }

    private static Requirement ParseRequirement(string selector, string p)
    {
        foreach (var (op, kind) in new[] { (" notin ", Op.NotIn), (" in ", Op.In) })
        {
            var at = p.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var values = p[(at + op.Length)..].Trim();
                if (!values.StartsWith('(') || !values.EndsWith(')'))
                {
                    throw new FormatException($"discovery selector '{selector}': '{p}' needs its values in parentheses, e.g. env in (prod,stage)");
                }
                var set = values[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToImmutableHashSet(StringComparer.Ordinal);
                return new Requirement(Key(selector, p[..at]), kind, set);
            }
        }
        if (p.Contains("!=", StringComparison.Ordinal))
        {
            var i = p.IndexOf("!=", StringComparison.Ordinal);
            return new Requirement(Key(selector, p[..i]), Op.NotEquals, [p[(i + 2)..].Trim()]);
        }
        if (p.Contains('=', StringComparison.Ordinal))
        {
            var i = p.IndexOf('=', StringComparison.Ordinal);
            var value = p[(i + 1)..].TrimStart('=').Trim();
            return new Requirement(Key(selector, p[..i]), Op.Equals, [value]);
        }
        return p.StartsWith('!')
            ? new Requirement(Key(selector, p[1..]), Op.DoesNotExist, [])
            : new Requirement(Key(selector, p), Op.Exists, []);
    }

    private static string Key(string selector, string key)
    {
        var k = key.Trim();
        if (k.Length == 0 || k.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '!' or '='))
        {
            throw new FormatException($"discovery selector '{selector}': '{key.Trim()}' is not a label key");
        }
        return k;
    }

    /// <summary>Splits on commas outside parentheses.</summary>
    private static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
            if (s[i] == ',' && depth == 0)
            {
                yield return s[start..i];
                start = i + 1;
            }
        }
        yield return s[start..];
    }

    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Op Operator, ImmutableHashSet<string> Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var has = labels.TryGetValue(Key, out var v);
            return Operator switch
            {
                Op.Equals or Op.In => has && Values.Contains(v!),
                Op.NotEquals or Op.NotIn => !has || !Values.Contains(v!),
                Op.Exists => has,
                _ => !has,
            };
        }
    }
}
