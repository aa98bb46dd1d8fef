using Mesh.Model.Config;

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
            if (server.Hosts.IsDefaultOrEmpty)
            {
                context.Add(field + ".hosts", "at least one host is required");
            }
            for (var h = 0; h < server.Hosts.Length; h++)
            {
                context.Check($"{field}.hosts[{h}]", HostRules.NamespaceSlashHost(server.Hosts[h], namespaceOptional: true));
            }
        }
    }
}
