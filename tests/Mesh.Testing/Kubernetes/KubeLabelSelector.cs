using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A parsed <c>labelSelector</c>: comma-separated requirements <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>,
/// <c>k</c>, <c>!k</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>. As in apimachinery, <c>!=</c> and
/// <c>notin</c> also match objects without the label.
/// </summary>
internal sealed class KubeLabelSelector
{
    private readonly List<Requirement> _requirements;

    private KubeLabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static KubeLabelSelector Everything { get; } = new([]);

    public static KubeLabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        return new([.. SplitTopLevel(selector).Select(ParseRequirement)]);
    }

    public bool Matches(JsonObject obj)
    {
        var labels = KubeJson.Metadata(obj)?["labels"] as JsonObject;
        return _requirements.TrueForAll(r => r.Matches(labels?[r.Key] is { } v ? KubeJson.String(v) : null));
    }

    // Commas inside "in (a,b)" separate values, not requirements.
    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            depth += selector[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }

        yield return selector[start..];
    }

    private static Requirement ParseRequirement(string text)
    {
        var req = text.Trim();
        if (req.StartsWith('!'))
        {
            return new(Key(req[1..], text), Op.DoesNotExist, []);
        }

        var paren = req.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0)
        {
            var head = req[..paren].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (head.Length != 2 || head[1] is not ("in" or "notin") || !req.EndsWith(')'))
            {
                throw Invalid(text);
            }

            var values = req[(paren + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
            return new(Key(head[0], text), head[1] == "in" ? Op.In : Op.NotIn, values);
        }

        foreach (var (token, op) in new[] { ("!=", Op.NotIn), ("==", Op.In), ("=", Op.In) })
        {
            var at = req.IndexOf(token, StringComparison.Ordinal);
            if (at >= 0)
            {
                return new(Key(req[..at], text), op, [req[(at + token.Length)..].Trim()]);
            }
        }

        return new(Key(req, text), Op.Exists, []);
    }

    private static string Key(string key, string requirement)
    {
        var trimmed = key.Trim();
        return trimmed.Length == 0 || trimmed.Contains(' ', StringComparison.Ordinal) ? throw Invalid(requirement) : trimmed;
    }

    private static KubeApiException Invalid(string requirement) =>
        KubeApiException.BadRequest($"unable to parse requirement: \"{requirement.Trim()}\"");

    private enum Op
    {
        Exists,
        DoesNotExist,
        In,
        NotIn,
    }

    private sealed record Requirement(string Key, Op Op, string[] Values)
    {
        public bool Matches(string? value) => Op switch
        {
            Op.Exists => value is not null,
            Op.DoesNotExist => value is null,
            Op.In => value is not null && Values.Contains(value, StringComparer.Ordinal),
            _ => value is null || !Values.Contains(value, StringComparer.Ordinal),
        };
    }
}
