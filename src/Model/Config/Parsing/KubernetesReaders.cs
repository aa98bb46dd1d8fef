namespace Mesh.Model.Config.Parsing;

/// <summary>Readers for the core Kubernetes kinds: <c>v1</c> Service, Pod and Namespace.</summary>
internal static class KubernetesReaders
{
    public static KubeService ReadService(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new KubeService(
            meta,
            spec.Field("type").String() ?? "ClusterIP",
            spec.Field("clusterIP").String(),
            spec.Field("selector").StringMap(),
            [.. spec.Field("ports").Items().Select(ReadServicePort)]);
    }

    public static Pod ReadPod(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        var status = root.Field("status");
        var serviceAccount = spec.Field("serviceAccountName").String() ?? spec.Field("serviceAccount").String();
        return new Pod(
            meta,
            status.Field("podIP").String(),
            string.IsNullOrEmpty(serviceAccount) ? "default" : serviceAccount,
            spec.Field("nodeName").String(),
            status.Field("phase").String() ?? "Pending");
    }

    public static NamespaceObject ReadNamespace(YamlCursor root, ObjectMeta meta) => new(meta);

    private static ServicePort ReadServicePort(YamlCursor port)
    {
        var number = port.Field("port");
        if (!number.Exists)
        {
            number.Error("is required");
        }
        return new ServicePort(
            port.Field("name").String(),
            number.Int() ?? 0,
            port.Field("targetPort").String(),
            port.Field("protocol").String() ?? "TCP",
            port.Field("appProtocol").String());
    }
}
