namespace Mesh.Model.Config.Parsing;

/// <summary>Shared pieces of the Istio readers: <c>workloadSelector</c>, <c>port: {number}</c> and enum fields.</summary>
internal static class IstioReaders
{
    public static WorkloadSelector? ReadWorkloadSelector(YamlCursor selector) =>
        selector.Exists ? new WorkloadSelector(selector.Field("labels").StringMap()) : null;

    /// <summary>Reads a <c>PortSelector</c> (<c>port: {number: 9080}</c>).</summary>
    public static int? ReadPortSelector(YamlCursor port) => port.Field("number").Int();

    /// <summary>A required integer: reports <c>is required</c> when absent and returns 0.</summary>
    public static int RequiredInt(YamlCursor value)
    {
        if (!value.Exists)
        {
            value.Error("is required");
        }
        return value.Int() ?? 0;
    }

    /// <summary>
    /// An enum field by its Istio name: null when absent; an unknown name is an error
    /// (<c>unknown WHAT 'NAME', expected one of …</c>) and also null.
    /// </summary>
    public static T? Enum<T>(YamlCursor field, string what, params (string Name, T Value)[] values)
        where T : struct
    {
        if (field.String() is not { } text)
        {
            return null;
        }
        foreach (var (name, value) in values)
        {
            if (name == text)
            {
                return value;
            }
        }
        field.Error($"unknown {what} '{text}', expected one of {string.Join(", ", values.Select(v => v.Name))}");
        return null;
    }
}
