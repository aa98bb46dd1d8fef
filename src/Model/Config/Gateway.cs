using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>Gateway</c>: the ingress proxies it selects and the servers (ports) they open.</summary>
public sealed record Gateway(ObjectMeta Meta, ImmutableSortedDictionary<string, string> Selector, ImmutableArray<GatewayServer> Servers) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Gateway;
}

/// <summary>One Gateway server: port, hosts and TLS.</summary>
public sealed record GatewayServer(string? Name, GatewayPort Port, ImmutableArray<string> Hosts)
{
    /// <summary>The server's <c>tls</c> block, null when it has none.</summary>
    public ServerTls? Tls { get; init; }
}

/// <summary>Istio <c>ServerTLSSettings</c>.</summary>
public sealed record ServerTls(
    bool HttpsRedirect,
    ServerTlsMode Mode,
    string? ServerCertificate,
    string? PrivateKey,
    string? CaCertificates,
    string? CaCrl,
    string? CredentialName,
    ImmutableArray<string> SubjectAltNames,
    string? MinProtocolVersion,
    string? MaxProtocolVersion,
    ImmutableArray<string> CipherSuites);

/// <summary><c>ServerTLSSettings.mode</c>.</summary>
public enum ServerTlsMode
{
    Passthrough,
    Simple,
    Mutual,
    AutoPassthrough,
    IstioMutual,
    OptionalMutual,
}

/// <summary>A Gateway server port.</summary>
public sealed record GatewayPort(int Number, string Protocol, string Name);
