using System.Text.RegularExpressions;

namespace Mesh.Model.Validation;

/// <summary>Kubernetes name rules (DNS-1123 label and subdomain, DNS-1035 label) and label-map checks.</summary>
internal static partial class NameRules
{
    public const int LabelMaxLength = 63;
    public const int SubdomainMaxLength = 253;

    /// <summary>Null when <paramref name="value"/> is a DNS-1123 label (<c>[a-z0-9]([-a-z0-9]*[a-z0-9])?</c>, at most 63).</summary>
    public static string? Dns1123Label(string value) =>
        value.Length is > 0 and <= LabelMaxLength && Dns1123LabelRegex().IsMatch(value)
            ? null
            : $"'{value}' is not a valid DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

    /// <summary>Null when <paramref name="value"/> is a DNS-1123 subdomain (dot-separated labels, at most 253).</summary>
    public static string? Dns1123Subdomain(string value) =>
        value.Length is > 0 and <= SubdomainMaxLength && value.Split('.').All(l => Dns1123LabelRegex().IsMatch(l) && l.Length <= LabelMaxLength)
            ? null
            : $"'{value}' is not a valid DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters";

    /// <summary>Null when <paramref name="value"/> is a DNS-1035 label (a DNS-1123 label starting with a letter), as Service names must be.</summary>
    public static string? Dns1035Label(string value) =>
        value.Length is > 0 and <= LabelMaxLength && Dns1035LabelRegex().IsMatch(value)
            ? null
            : $"'{value}' is not a valid DNS-1035 label: at most 63 lowercase letters, digits and '-', starting with a letter";

    /// <summary>Checks label keys (<c>[prefix/]name</c>) and values, as Kubernetes and Istio's <c>labels.Validate</c> do.</summary>
    public static void Labels(ValidationContext context, string field, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in labels)
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var name = slash < 0 ? key : key[(slash + 1)..];
            if ((slash >= 0 && Dns1123Subdomain(key[..slash]) is not null) || !QualifiedNameRegex().IsMatch(name) || name.Length > LabelMaxLength)
            {
                context.Add($"{field}.{key}", $"invalid label key '{key}'");
            }
            if (value.Length > LabelMaxLength || (value.Length > 0 && !QualifiedNameRegex().IsMatch(value)))
            {
                context.Add($"{field}.{key}", $"invalid label value '{value}': at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035LabelRegex();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();
}
