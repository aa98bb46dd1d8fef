using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// What a list or watch selects: a namespace (none for all namespaces or cluster-scoped kinds), a
/// label selector and a field selector. Field selectors take <c>path=v</c>, <c>path==v</c> and
/// <c>path!=v</c> over any dotted path (<c>metadata.name</c>), a superset of what real kinds allow.
/// </summary>
internal sealed class KubeObjectFilter
{
    private readonly (string[] Path, bool Equal, string Value)[] _fields;

    private KubeObjectFilter(string? ns, KubeLabelSelector labels, (string[] Path, bool Equal, string Value)[] fields)
    {
        Namespace = ns;
        Labels = labels;
        _fields = fields;
    }

    public string? Namespace { get; }

    public KubeLabelSelector Labels { get; }

    public bool SelectsEverythingInScope => ReferenceEquals(Labels, KubeLabelSelector.Everything) && _fields.Length == 0;

    public static KubeObjectFilter Create(string? ns, string? labelSelector, string? fieldSelector) =>
        new(ns, KubeLabelSelector.Parse(labelSelector), ParseFields(fieldSelector));

    public bool Matches(JsonObject obj) =>
        (Namespace is null || KubeJson.MetaString(obj, "namespace") == Namespace)
        && Labels.Matches(obj)
        && Array.TrueForAll(_fields, f => (Resolve(obj, f.Path) == f.Value) == f.Equal);

    private static (string[] Path, bool Equal, string Value)[] ParseFields(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return [];
        }

        return [.. selector.Split(',', StringSplitOptions.TrimEntries).Select(req =>
        {
            var (at, length, equal) = req.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0 ? (ne, 2, false)
                : req.IndexOf("==", StringComparison.Ordinal) is var eq and >= 0 ? (eq, 2, true)
                : (req.IndexOf('=', StringComparison.Ordinal), 1, true);
            return at <= 0
                ? throw KubeApiException.BadRequest($"invalid field selector: \"{req}\"")
                : (req[..at].Trim().Split('.'), equal, req[(at + length)..].Trim());
        })];
    }

    private static string Resolve(JsonObject obj, string[] path)
    {
        JsonNode? node = obj;
        foreach (var segment in path)
        {
            node = (node as JsonObject)?[segment];
        }

        return KubeJson.String(node) ?? "";
    }
}
