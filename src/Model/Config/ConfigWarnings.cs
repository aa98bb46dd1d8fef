using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Mesh.Model.Config;

/// <summary>
/// The warnings of a served object, each named with kind, namespace, name and field path in the
/// shape of a <see cref="ConfigError"/>: every field of its spec that Mesh does not translate, and
/// every field left out for proxyless gRPC clients (<see cref="Translation.ProxylessSupport"/>).
/// </summary>
public static partial class ConfigWarnings
{
    /// <summary>The reason every unsupported-field warning gives.</summary>
    public const string NotTranslated = "not translated by Mesh (not implemented yet, or not a field of this kind): ignored; the rest of the object is served";

    public static ImmutableArray<ConfigError> Of(ConfigObject obj, string source)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = obj.Kind.ToString();
        var unsupported = obj.Unsupported.IsDefault ? [] : obj.Unsupported;
        return
        [
            .. unsupported.Select(field => new ConfigError(source, kind, obj.Meta.Namespace, obj.Meta.Name, field, NotTranslated)),
            .. Translation.ProxylessSupport.Omissions(obj).Select(o => new ConfigError(source, kind, obj.Meta.Namespace, obj.Meta.Name, o.Field, o.Reason)),
            .. Pending(obj).Select(o => new ConfigError(source, kind, obj.Meta.Namespace, obj.Meta.Name, o.Field, o.Reason)),
        ];
    }

    /// <summary>Why a Gateway server's certificate from <c>credentialName</c> is not there yet.</summary>
    public const string CredentialNotServed = "the listener asks for this secret over SDS (kubernetes://NAME), which Mesh does not serve yet: the router waits for it before serving this server";

    /// <summary>Fields translated into config that needs what Mesh does not serve yet.</summary>
    private static IEnumerable<(string Field, string Reason)> Pending(ConfigObject obj)
    {
        if (obj is not Gateway gateway || gateway.Servers.IsDefault)
        {
            yield break;
        }
        for (var i = 0; i < gateway.Servers.Length; i++)
        {
            if (gateway.Servers[i].Tls is { CredentialName.Length: > 0, Mode: ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual })
            {
                yield return (string.Create(System.Globalization.CultureInfo.InvariantCulture, $"spec.servers[{i}].tls.credentialName"), CredentialNotServed);
            }
        }
    }

    /// <summary>Which clients a warning concerns, the metric's <c>clients</c> label: <c>all</c> or <c>proxyless</c>.</summary>
    public static string ClientsOf(ConfigError warning)
    {
        ArgumentNullException.ThrowIfNull(warning);
        return warning.Reason.StartsWith(Translation.ProxylessSupport.Prefix, StringComparison.Ordinal)
            || warning.Reason.StartsWith(Translation.ProxylessSupport.OtherwisePrefix, StringComparison.Ordinal) ? "proxyless" : "all";
    }

    /// <summary>A field path without list indexes (<c>spec.http[3].fault</c> → <c>spec.http[].fault</c>), the metric label.</summary>
    public static string FieldLabel(string path) => Index().Replace(path, "[]");

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();
}
