using System.Collections.Immutable;

namespace Mesh.Model.Config.Parsing;

/// <summary>Reads Istio <c>ServiceEntry</c> and <c>WorkloadEntry</c>, which share the workload spec.</summary>
internal static class ServiceEntryReader
{
    public static ServiceEntry ReadServiceEntry(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new ServiceEntry(
            meta,
            spec.Field("hosts").Strings(),
            spec.Field("addresses").Strings(),
            [.. spec.Field("ports").Items().Select(ReadPort)],
            spec.Field("location").String() ?? "MESH_EXTERNAL",
            spec.Field("resolution").String() ?? "NONE",
            [.. spec.Field("endpoints").Items().Select(ReadWorkloadSpec)],
            IstioReaders.ReadWorkloadSelector(spec.Field("workloadSelector")),
            spec.Field("exportTo").Strings());
    }

    public static WorkloadEntry ReadWorkloadEntry(YamlCursor root, ObjectMeta meta) =>
        new(meta, ReadWorkloadSpec(root.Field("spec")));

    private static ServiceEntryPort ReadPort(YamlCursor port) => new(
        IstioReaders.RequiredInt(port.Field("number")),
        port.Field("protocol").String() ?? "",
        port.Field("name").String() ?? "",
        port.Field("targetPort").Int());

    private static WorkloadEntrySpec ReadWorkloadSpec(YamlCursor spec)
    {
        var ports = ImmutableSortedDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var (name, value) in spec.Field("ports").Entries())
        {
            if (value.Int() is { } number)
            {
                ports[name] = number;
            }
        }
        return new WorkloadEntrySpec(
            spec.Field("address").String() ?? "",
            ports.ToImmutable(),
            spec.Field("labels").StringMap(),
            spec.Field("network").String(),
            spec.Field("locality").String(),
            spec.Field("weight").Int(),
            spec.Field("serviceAccount").String());
    }
}
