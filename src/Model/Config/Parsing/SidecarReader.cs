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
            // An egress port is not applied yet (an entry's hosts are visible on every port): left
            // unread, so it is reported as unsupported rather than ignored.
            [.. spec.Field("egress").Items().Select(e => new SidecarEgress(null, e.Field("hosts").Strings()))]);
    }
}
