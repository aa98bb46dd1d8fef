using System.Text.RegularExpressions;

namespace Mesh.Model.Validation;

/// <summary>
/// Regex checks for Envoy's <c>safe_regex</c>, which uses RE2: the pattern must compile, and must not use
/// constructs RE2 lacks (lookaround, backreferences, atomic groups, possessive quantifiers, conditionals).
/// See https://github.com/google/re2/wiki/Syntax.
/// </summary>
internal static class RegexRules
{
    public static string? Re2(string pattern)
    {
        try
        {
            // RE2 spells named groups (?P<name>...); .NET knows them as (?<name>...).
            _ = new Regex(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            return $"invalid regex '{pattern}': {ex.Message}";
        }
        return Unsupported(pattern) is { } construct
            ? $"regex '{pattern}' uses {construct}, which RE2 (Envoy's regex engine) does not support"
            : null;
    }

    private static string? Unsupported(string pattern)
    {
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var next = i + 1 < pattern.Length ? pattern[i + 1] : '\0';
            if (c == '\\')
            {
                if (!inClass && next is >= '1' and <= '9')
                {
                    return $"a backreference '\\{next}'";
                }
                if (!inClass && next == 'k' && i + 2 < pattern.Length && pattern[i + 2] is '<' or '\'' or '{')
                {
                    return "a named backreference";
                }
                i++;
            }
            else if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
                // A ']' right after '[' or '[^' is a literal member of the class.
                if (next == '^')
                {
                    i++;
                }
                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    i++;
                }
            }
            else if (c == '(' && next == '?')
            {
                var rest = pattern.AsSpan(i + 2);
                if (rest.StartsWith("=") || rest.StartsWith("!"))
                {
                    return $"a lookahead '(?{rest[0]}'";
                }
                if (rest.StartsWith("<=") || rest.StartsWith("<!"))
                {
                    return $"a lookbehind '(?{rest[..2]}'";
                }
                if (rest.StartsWith(">"))
                {
                    return "an atomic group '(?>'";
                }
                if (rest.StartsWith("("))
                {
                    return "a conditional '(?('";
                }
            }
            else if (c is '*' or '+' or '?' or '}' && next == '+')
            {
                return $"a possessive quantifier '{c}+'";
            }
        }
        return null;
    }
}
