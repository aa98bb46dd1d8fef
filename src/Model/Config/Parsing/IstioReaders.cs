namespace Mesh.Model.Config.Parsing;

/// <summary>Shared pieces of the Istio readers: <c>workloadSelector</c> and <c>port: {number}</c>.</summary>
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
}
