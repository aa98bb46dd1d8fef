namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>Sidecar</c>: workload selector, egress listeners and the outbound traffic policy mode.</summary>
internal static class SidecarReader
{
    public static Sidecar Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        var mode = spec.Field("outboundTrafficPolicy").Field("mode");
        bool? allowAny = mode.String() switch
        {
            null => null,
            "ALLOW_ANY" => true,
            "REGISTRY_ONLY" => false,
            var other => Unknown(mode, other),
        };
        return new Sidecar(
            meta,
            IstioReaders.ReadWorkloadSelector(spec.Field("workloadSelector")),
            // An egress port is validated but not applied yet (an entry's hosts are visible on every
            // port): it is reported as unsupported rather than ignored.
            [.. spec.Field("egress").Items().Select(e => new SidecarEgress(IstioReaders.ReadPortSelector(e.Field("port").NotTranslated()), e.Field("hosts").Strings()))])
        {
            AllowAnyOutbound = allowAny,
        };
    }

    private static bool? Unknown(YamlCursor mode, string value)
    {
        mode.Error($"unknown mode '{value}', expected REGISTRY_ONLY or ALLOW_ANY");
        return null;
    }
}
