namespace Mesh.Model.Config.Parsing;

/// <summary>Reads a <c>discovery.k8s.io/v1 EndpointSlice</c>; the service comes from its <c>kubernetes.io/service-name</c> label.</summary>
internal static class EndpointSliceReader
{
    public static EndpointSlice Read(YamlCursor root, ObjectMeta meta)
    {
        var addressType = root.Field("addressType");
        return new EndpointSlice(
            meta,
            meta.Labels.GetValueOrDefault(EndpointSlice.ServiceNameLabel, ""),
            addressType.RequiredString(),
            [.. root.Field("ports").Items().Select(ReadPort)],
            [.. root.Field("endpoints").Items().Select(e => ReadEndpoint(e, meta.Namespace))]);
    }

    private static EndpointSlicePort ReadPort(YamlCursor port) => new(
        port.Field("name").String(),
        port.Field("port").Int(),
        port.Field("protocol").String() ?? "TCP",
        port.Field("appProtocol").String());

    private static SliceEndpoint ReadEndpoint(YamlCursor endpoint, string sliceNamespace)
    {
        var conditions = endpoint.Field("conditions");
        var targetRef = endpoint.Field("targetRef");
        ObjectReference? reference = null;
        if (targetRef.Exists)
        {
            var ns = targetRef.Field("namespace").String();
            reference = new ObjectReference(
                targetRef.Field("kind").String() ?? "",
                string.IsNullOrEmpty(ns) ? sliceNamespace : ns,
                targetRef.Field("name").String() ?? "",
                targetRef.Field("uid").String());
        }
        return new SliceEndpoint(
            endpoint.Field("addresses").Strings(),
            conditions.Field("ready").Bool(),
            conditions.Field("serving").Bool(),
            conditions.Field("terminating").Bool(),
            reference,
            endpoint.Field("nodeName").String(),
            endpoint.Field("zone").String());
    }
}
