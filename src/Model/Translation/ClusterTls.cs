using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Config;

namespace Mesh.Model.Translation;

/// <summary>
/// A DestinationRule's <c>tls</c> as Istio writes it on a cluster: an UpstreamTlsContext whose
/// certificates come over SDS from the proxy's agent (<c>sds-grpc</c>): the workload certificate
/// <c>default</c> and the mesh root <c>ROOTCA</c> for ISTIO_MUTUAL, <c>file-cert:CERT~KEY</c> and
/// <c>file-root:CA</c> (or the system roots) for SIMPLE and MUTUAL. A <c>credentialName</c> (a
/// Kubernetes secret served by the control plane) is not translated yet: such a cluster gets no
/// TLS, as Istio's sidecars ignore it, and the rule says so.
/// </summary>
public static class ClusterTls
{
    public const string TransportSocketName = "envoy.transport_sockets.tls";
    public const string SdsCluster = "sds-grpc";
    public const string WorkloadCertificate = "default";
    public const string RootCertificate = "ROOTCA";

    /// <summary>Whether <paramref name="tls"/> puts a TLS transport socket on the cluster.</summary>
    public static bool Originates(ClientTls? tls) =>
        tls is { Mode: ClientTlsMode.IstioMutual }
        || tls is { Mode: ClientTlsMode.Simple or ClientTlsMode.Mutual } && string.IsNullOrEmpty(tls.CredentialName);

    /// <summary>The transport socket of a cluster named <paramref name="clusterName"/>, null when <paramref name="tls"/> adds none.</summary>
    public static TransportSocket? TransportSocket(ClientTls? tls, string clusterName, bool http2)
    {
        if (tls is null || !Originates(tls))
        {
            return null;
        }
        var context = new UpstreamTlsContext
        {
            CommonTlsContext = new CommonTlsContext
            {
                TlsParams = new TlsParameters
                {
                    TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12,
                    TlsMaximumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv13,
                },
            },
            Sni = tls.Sni ?? "",
        };
        var common = context.CommonTlsContext;
        if (tls.Mode == ClientTlsMode.IstioMutual)
        {
            common.TlsCertificateSdsSecretConfigs.Add(Sds(WorkloadCertificate));
            common.CombinedValidationContext = Combined(tls.SubjectAltNames, Sds(RootCertificate));
            if (context.Sni.Length == 0)
            {
                context.Sni = clusterName;
            }
            // Istio's in-mesh ALPN with metadata exchange.
            common.AlpnProtocols.Add(["istio-peer-exchange", "istio"]);
            if (http2)
            {
                common.AlpnProtocols.Add("h2");
            }
        }
        else
        {
            if (tls.Mode == ClientTlsMode.Mutual)
            {
                common.TlsCertificateSdsSecretConfigs.Add(Sds($"file-cert:{tls.ClientCertificate}~{tls.PrivateKey}"));
            }
            if (tls.InsecureSkipVerify)
            {
                common.ValidationContext = new CertificateValidationContext();
            }
            else
            {
                common.CombinedValidationContext = Combined(tls.SubjectAltNames, Sds("file-root:" + (string.IsNullOrEmpty(tls.CaCertificates) ? "system" : tls.CaCertificates)));
                if (!string.IsNullOrEmpty(tls.CaCrl))
                {
                    common.CombinedValidationContext.DefaultValidationContext.Crl = new DataSource { Filename = tls.CaCrl };
                }
            }
            if (http2)
            {
                common.AlpnProtocols.Add("h2");
            }
        }
        return new TransportSocket { Name = TransportSocketName, TypedConfig = Any.Pack(context) };
    }

    /// <summary>As Istio for SIMPLE and MUTUAL: no <c>sni</c> → the request's host (auto SNI); no SNI and no SANs → the SAN checked against that host.</summary>
    public static (bool AutoSni, bool AutoSanValidation) Auto(ClientTls? tls) =>
        tls is { Mode: ClientTlsMode.Simple or ClientTlsMode.Mutual } && Originates(tls) && string.IsNullOrEmpty(tls.Sni)
            ? (true, tls.SubjectAltNames.IsDefaultOrEmpty && !tls.InsecureSkipVerify)
            : (false, false);

    /// <summary>The default validation (the SANs to match, exactly) combined with the root certificate <paramref name="root"/> over SDS.</summary>
    internal static CommonTlsContext.Types.CombinedCertificateValidationContext Combined(System.Collections.Immutable.ImmutableArray<string> subjectAltNames, SdsSecretConfig root)
    {
        var validation = new CertificateValidationContext();
        foreach (var san in subjectAltNames.IsDefault ? [] : subjectAltNames)
        {
            // As Istio: the untyped matcher, which checks a name against every SAN type (the typed
            // one needs each name's type, which a DestinationRule does not give).
#pragma warning disable CS0612
            validation.MatchSubjectAltNames.Add(new StringMatcher { Exact = san });
#pragma warning restore CS0612
        }
        return new CommonTlsContext.Types.CombinedCertificateValidationContext { DefaultValidationContext = validation, ValidationContextSdsSecretConfig = root };
    }

    internal static SdsSecretConfig Sds(string name) => new()
    {
        Name = name,
        SdsConfig = new ConfigSource
        {
            ApiConfigSource = new ApiConfigSource
            {
                ApiType = ApiConfigSource.Types.ApiType.Grpc,
                SetNodeOnFirstMessageOnly = true,
                TransportApiVersion = ApiVersion.V3,
                GrpcServices = { new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = SdsCluster } } },
            },
            ResourceApiVersion = ApiVersion.V3,
        },
    };
}
