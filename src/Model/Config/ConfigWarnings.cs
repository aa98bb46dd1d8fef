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
        ];
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
