using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// A Gateway server's TLS as Istio writes it on the router's listener: which servers terminate
/// TLS, their SNI names and their DownstreamTlsContext. Certificates come over SDS: a
/// <c>credentialName</c> from the control plane over ADS (<c>kubernetes://NAME</c>, its CA
/// <c>kubernetes://NAME-cacert</c>), files and the mesh identity from the proxy's agent (<c>sds-grpc</c>).
/// </summary>
public static class GatewayTls
{
    public const string InspectorName = "envoy.filters.listener.tls_inspector";

    /// <summary>An HTTPS server in SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL mode: the router ends its TLS and routes HTTP.</summary>
    public static bool Terminates(GatewayServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Tls is { Mode: ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual or ServerTlsMode.IstioMutual }
            && ProtocolExtensions.Parse(server.Port.Protocol) == Protocol.Https;
    }

    /// <summary>A plain-text HTTP server (its <c>tls</c>, if any, only redirects to HTTPS).</summary>
    public static bool ServesPlainHttp(GatewayServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return !Terminates(server) && ProtocolExtensions.Parse(server.Port.Protocol)?.IsHttp() == true;
    }

    /// <summary>The SNI names a terminating server's chain matches: its hosts without namespace; none (any name) when one is <c>*</c>.</summary>
    public static IEnumerable<string> ServerNames(GatewayServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var names = (server.Hosts.IsDefault ? [] : server.Hosts).Select(h => h.Contains('/', StringComparison.Ordinal) ? h[(h.IndexOf('/', StringComparison.Ordinal) + 1)..] : h).ToList();
        return names.Contains("*") ? [] : names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    public static TransportSocket TransportSocket(ServerTls tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var common = new CommonTlsContext
        {
            TlsParams = new TlsParameters
            {
                TlsMinimumProtocolVersion = Version(tls.MinProtocolVersion) ?? TlsParameters.Types.TlsProtocol.Tlsv12,
                TlsMaximumProtocolVersion = Version(tls.MaxProtocolVersion) ?? TlsParameters.Types.TlsProtocol.TlsAuto,
            },
            AlpnProtocols = { "h2", "http/1.1" },
        };
        common.TlsParams.CipherSuites.Add(tls.CipherSuites.IsDefault ? [] : tls.CipherSuites);
        var context = new DownstreamTlsContext
        {
            CommonTlsContext = common,
            RequireClientCertificate = tls.Mode is ServerTlsMode.Mutual or ServerTlsMode.IstioMutual,
        };
        var mutual = tls.Mode is ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;
        if (tls.Mode == ServerTlsMode.IstioMutual)
        {
            common.TlsCertificateSdsSecretConfigs.Add(Agent(ClusterTls.WorkloadCertificate));
            common.CombinedValidationContext = ClusterTls.Combined(tls.SubjectAltNames, Agent(ClusterTls.RootCertificate));
        }
        else if (!string.IsNullOrEmpty(tls.CredentialName))
        {
            common.TlsCertificateSdsSecretConfigs.Add(ControlPlane("kubernetes://" + tls.CredentialName));
            if (mutual)
            {
                common.CombinedValidationContext = ClusterTls.Combined(tls.SubjectAltNames, ControlPlane("kubernetes://" + tls.CredentialName + "-cacert"));
            }
        }
        else
        {
            common.TlsCertificateSdsSecretConfigs.Add(Agent($"file-cert:{tls.ServerCertificate}~{tls.PrivateKey}"));
            if (mutual)
            {
                common.CombinedValidationContext = ClusterTls.Combined(tls.SubjectAltNames, Agent("file-root:" + tls.CaCertificates));
            }
        }
        return new TransportSocket { Name = ClusterTls.TransportSocketName, TypedConfig = Any.Pack(context) };
    }

    private static TlsParameters.Types.TlsProtocol? Version(string? version) => version switch
    {
        "TLSV1_0" => TlsParameters.Types.TlsProtocol.Tlsv10,
        "TLSV1_1" => TlsParameters.Types.TlsProtocol.Tlsv11,
        "TLSV1_2" => TlsParameters.Types.TlsProtocol.Tlsv12,
        "TLSV1_3" => TlsParameters.Types.TlsProtocol.Tlsv13,
        _ => null,
    };

    /// <summary>A secret the proxy's agent serves (workload identity, mounted files).</summary>
    private static SdsSecretConfig Agent(string name) => ClusterTls.Sds(name);

    /// <summary>A secret the control plane serves over ADS (a Kubernetes secret by <c>credentialName</c>).</summary>
    private static SdsSecretConfig ControlPlane(string name) =>
        new() { Name = name, SdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 } };
}
