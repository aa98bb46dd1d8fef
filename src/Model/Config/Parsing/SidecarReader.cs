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
            // An egress port is validated but not applied yet (an entry's hosts are visible on every
            // port): it is reported as unsupported rather than ignored.
            [.. spec.Field("egress").Items().Select(e => new SidecarEgress(IstioReaders.ReadPortSelector(e.Field("port").NotTranslated()), e.Field("hosts").Strings()))]);
    }
}
