namespace Mesh.Model.Validation;

/// <summary>Istio host-name rules: FQDNs and short names, optionally with a leading <c>*</c> wildcard.</summary>
internal static class HostRules
{
    /// <summary>
    /// Null when <paramref name="host"/> is a valid, possibly wildcarded, DNS name (<c>reviews</c>,
    /// <c>reviews.bookinfo.svc.cluster.local</c>, <c>*.example.com</c>, <c>*</c>), as Istio's <c>ValidateWildcardDomain</c>.
    /// </summary>
    public static string? WildcardDomain(string host)
    {
        if (host.Length == 0)
        {
            return "host must not be empty";
        }
        if (host.Length > 255)
        {
            return $"host '{host}' is longer than 255 characters";
        }
        var name = host;
        if (host[0] == '*')
        {
            if (host.Length == 1)
            {
                return null;
            }
            if (host[1] != '.')
            {
                return $"host '{host}': a wildcard must be a whole leading label, e.g. '*.example.com'";
            }
            name = host[2..];
        }
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (!IsHostLabel(label))
            {
                return $"host '{host}' is not a valid DNS name: label '{label}' must be 1-63 letters, digits or '-', not starting or ending with '-'";
            }
        }
        return null;
    }

    /// <summary>Null when <paramref name="host"/> is in <c>namespace/dnsName</c> form (<c>*/*</c>, <c>./*</c>, <c>ns/*</c>, <c>ns/host</c>).</summary>
    public static string? NamespaceSlashHost(string host, bool namespaceOptional)
    {
        var parts = host.Split('/');
        if (parts.Length == 1 && namespaceOptional)
        {
            return WildcardDomain(host);
        }
        if (parts.Length != 2 || parts[0].Length == 0)
        {
            return $"host '{host}' must be in 'namespace/dnsName' form, e.g. './*', 'istio-system/*' or 'ns/reviews.ns.svc.cluster.local'";
        }
        if (parts[0] is not ("*" or "." or "~") && NameRules.Dns1123Label(parts[0]) is { } nsError)
        {
            return $"host '{host}': namespace must be '*', '.', '~' or a namespace name: {nsError}";
        }
        return WildcardDomain(parts[1]) is { } hostError ? $"host '{host}': {hostError}" : null;
    }

    private static bool IsHostLabel(string label) =>
        label.Length is > 0 and <= 63
        && label[0] != '-'
        && label[^1] != '-'
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
