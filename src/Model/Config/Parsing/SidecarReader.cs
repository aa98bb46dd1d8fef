namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>Sidecar</c>: workload selector and egress listeners.</summary>
internal static class SidecarReader
{
    public static Sidecar Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new Sidecar(
            meta,
            IstioReaders.ReadWorkloadSelector(spec.Field("workloadSelector")),
            [.. spec.Field("egress").Items().Select(e => new SidecarEgress(IstioReaders.ReadPortSelector(e.Field("port")), e.Field("hosts").Strings()))]);
    }
}
