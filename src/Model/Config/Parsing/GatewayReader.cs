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
        var protocol = (port.Field("protocol").String() ?? "").ToUpperInvariant();
        var tlsField = server.Field("tls");
        var tls = ReadTls(tlsField);
        if (protocol is "TCP" or "TLS" || (protocol == "HTTPS" && tls is { Mode: ServerTlsMode.Passthrough or ServerTlsMode.AutoPassthrough }))
        {
            // Servers carrying TCP or passed-through TLS need VirtualService tcp/tls routes: not translated yet.
            (tls is not null ? tlsField.Field("mode") : port.Field("protocol")).NotTranslated();
        }
        return new GatewayServer(
            server.Field("name").String(),
            new GatewayPort(port.Exists ? IstioReaders.RequiredInt(port.Field("number")) : Required(port), port.Field("protocol").String() ?? "", port.Field("name").String() ?? ""),
            server.Field("hosts").Strings())
        {
            Tls = tls,
        };
    }

    private static ServerTls? ReadTls(YamlCursor tls)
    {
        if (!tls.Exists)
        {
            return null;
        }
        var mode = tls.Field("mode");
        var kind = IstioReaders.Enum(mode, "TLS mode",
            ("PASSTHROUGH", ServerTlsMode.Passthrough), ("SIMPLE", ServerTlsMode.Simple), ("MUTUAL", ServerTlsMode.Mutual),
            ("AUTO_PASSTHROUGH", ServerTlsMode.AutoPassthrough), ("ISTIO_MUTUAL", ServerTlsMode.IstioMutual), ("OPTIONAL_MUTUAL", ServerTlsMode.OptionalMutual))
            ?? ServerTlsMode.Passthrough;
        if (kind == ServerTlsMode.AutoPassthrough)
        {
            mode.NotTranslated(); // multi-network east-west gateways: not supported by Mesh
        }
        foreach (var version in new[] { "minProtocolVersion", "maxProtocolVersion" })
        {
            if (tls.Field(version).String() is { } v && v is not ("TLS_AUTO" or "TLSV1_0" or "TLSV1_1" or "TLSV1_2" or "TLSV1_3"))
            {
                tls.Field(version).Error($"unknown TLS version '{v}', expected one of TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3");
            }
        }
        return new ServerTls(
            tls.Field("httpsRedirect").Bool() ?? false,
            kind,
            tls.Field("serverCertificate").String(),
            tls.Field("privateKey").String(),
            tls.Field("caCertificates").String(),
            tls.Field("caCrl").String(),
            tls.Field("credentialName").String(),
            [.. tls.Field("subjectAltNames").Items().Select(n => n.String() ?? "")],
            tls.Field("minProtocolVersion").String(),
            tls.Field("maxProtocolVersion").String(),
            [.. tls.Field("cipherSuites").Items().Select(n => n.String() ?? "")]);
    }

    private static int Required(YamlCursor port)
    {
        port.Error("is required");
        return 0;
    }
}
