namespace Mesh.Model.Config;

/// <summary>
/// One validation or parse error, naming the object, the field path and the reason, e.g.
/// <c>VirtualService bookinfo/reviews: spec.http[0].route: weights sum to 90, must be 100</c>.
/// </summary>
public sealed record ConfigError(string Source, string? Kind, string? Namespace, string? Name, string Field, string Reason)
{
    public override string ToString()
    {
        var obj = Kind is null ? Source : $"{Kind} {Namespace}/{Name}";
        var where = Kind is null || Source.Length == 0 ? "" : $" ({Source})";
        return string.IsNullOrEmpty(Field) ? $"{obj}{where}: {Reason}" : $"{obj}{where}: {Field}: {Reason}";
    }
}
