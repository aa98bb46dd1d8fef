using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Validation;

/// <summary>Gateway rules: at least one server, each with a valid port and hosts. An empty selector is allowed, as in Istio.</summary>
internal static class GatewayValidator
{
    public static void Validate(Gateway gateway, ValidationContext context)
    {
        NameRules.Labels(context, "spec.selector", gateway.Selector);
        if (gateway.Servers.IsDefaultOrEmpty)
        {
            context.Add("spec.servers", "at least one server is required");
        }
        for (var i = 0; i < gateway.Servers.Length; i++)
        {
            var server = gateway.Servers[i];
            var field = $"spec.servers[{i}]";
            context.Check(field + ".port.number", PortRules.Number(server.Port.Number));
            context.Check(field + ".port.protocol", PortRules.ServerProtocol(server.Port.Protocol));
            if (server.Port.Name.Length == 0)
            {
                context.Add(field + ".port.name", "port name must be set");
            }
            else if (gateway.Servers.Take(i).Any(s => s.Port.Name == server.Port.Name))
            {
                context.Add(field + ".port.name", $"port names in servers must be unique: duplicate name {server.Port.Name}");
            }
            if (server.Hosts.IsDefaultOrEmpty)
            {
                context.Add(field + ".hosts", "at least one host is required");
            }
            for (var h = 0; h < server.Hosts.Length; h++)
            {
                context.Check($"{field}.hosts[{h}]", HostRules.NamespaceSlashHost(server.Hosts[h], namespaceOptional: true));
            }
            ServerTls(server, field, context);
        }
    }

    /// <summary>Istio's <c>validateServer</c> TLS part and <c>validateTLSOptions</c>.</summary>
    private static void ServerTls(GatewayServer server, string field, ValidationContext context)
    {
        var protocol = ProtocolExtensions.Parse(server.Port.Protocol);
        var tlsPort = protocol is Protocol.Https or Protocol.Tls;
        if (PortRules.ServerProtocol(server.Port.Protocol) is null)
        {
            if (tlsPort && server.Tls is null)
            {
                context.Add(field, "server must have TLS settings for HTTPS/TLS protocols");
            }
            else if (!tlsPort && server.Tls is { } plain)
            {
                if (protocol?.IsHttp() != true)
                {
                    context.Add(field + ".tls", "server cannot have TLS settings for non HTTPS/TLS ports");
                }
                else if (plain.Mode != ServerTlsMode.Passthrough || Set(plain.CaCertificates) || Set(plain.PrivateKey) || Set(plain.ServerCertificate))
                {
                    context.Add(field + ".tls", "server cannot have TLS settings for plain text HTTP ports");
                }
            }
        }
        if (server.Tls is not { } tls)
        {
            return;
        }
        var at = field + ".tls";
        if (tls.Mode == ServerTlsMode.IstioMutual)
        {
            foreach (var (value, what) in new[] { (tls.ServerCertificate, "server certificate"), (tls.PrivateKey, "private key"), (tls.CaCertificates, "CA bundle"), (tls.CredentialName, "credentialName") })
            {
                if (Set(value))
                {
                    context.Add(at, $"ISTIO_MUTUAL TLS cannot have associated {what}");
                }
            }
            return;
        }
        if ((Set(tls.ServerCertificate) && Set(tls.PrivateKey) ? 1 : 0) + (Set(tls.CredentialName) ? 1 : 0) > 1)
        {
            context.Add(at, "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified");
        }
        var terminates = tls.Mode is ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;
        if (terminates && !Set(tls.CredentialName))
        {
            var prefix = tls.Mode == ServerTlsMode.Simple ? "SIMPLE TLS" : "MUTUAL TLS";
            if (tls.Mode != ServerTlsMode.Simple && !Set(tls.CaCertificates))
            {
                context.Add(at + ".caCertificates", $"{prefix} requires a client CA bundle");
            }
            if (!Set(tls.ServerCertificate))
            {
                context.Add(at + ".serverCertificate", $"{prefix} requires a server certificate");
            }
            if (!Set(tls.PrivateKey))
            {
                context.Add(at + ".privateKey", $"{prefix} requires a private key");
            }
        }
        if (Set(tls.CaCrl))
        {
            if (Set(tls.CredentialName))
            {
                context.Add(at + ".caCrl", "CRL is not supported with credentialName. CRL has to be specified in the credential");
            }
            if (tls.Mode == ServerTlsMode.Simple)
            {
                context.Add(at + ".caCrl", "CRL is not supported with SIMPLE TLS");
            }
        }
    }

    private static bool Set(string? value) => !string.IsNullOrEmpty(value);
}
