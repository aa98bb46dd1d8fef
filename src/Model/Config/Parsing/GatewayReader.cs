namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>Gateway</c>: the selector and the servers it opens.</summary>
internal static class GatewayReader
{
    public static Gateway Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new Gateway(meta, spec.Field("selector").StringMap(), [.. spec.Field("servers").Items().Select(ReadServer)]);
    }

    private static GatewayServer ReadServer(YamlCursor server)
    {
        var port = server.Field("port");
        return new GatewayServer(
            server.Field("name").String(),
            new GatewayPort(port.Exists ? IstioReaders.RequiredInt(port.Field("number")) : Required(port), port.Field("protocol").String() ?? "", port.Field("name").String() ?? ""),
            server.Field("hosts").Strings());
    }

    private static int Required(YamlCursor port)
    {
        port.Error("is required");
        return 0;
    }
}
