using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Kubernetes Service rules: type, cluster IP, and ports with valid numbers and unique names.</summary>
internal static class KubeServiceValidator
{
    private static readonly string[] Types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

    public static void Validate(KubeService service, ValidationContext context)
    {
        if (!Types.Contains(service.Type, StringComparer.Ordinal))
        {
            context.Add("spec.type", $"unknown service type '{service.Type}', expected one of {string.Join(", ", Types)}");
        }
        if (service.ClusterIP is { Length: > 0 } ip && ip != "None" && !PortRules.IsIp(ip))
        {
            context.Add("spec.clusterIP", $"'{ip}' is not a valid IP address or 'None'");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < service.Ports.Length; i++)
        {
            var port = service.Ports[i];
            var field = $"spec.ports[{i}]";
            context.Check(field + ".port", PortRules.Number(port.Port));
            if (service.Ports.Length > 1)
            {
                if (string.IsNullOrEmpty(port.Name))
                {
                    context.Add(field + ".name", "is required when a service has more than one port");
                }
                else if (!names.Add(port.Name))
                {
                    context.Add(field + ".name", $"duplicate port name '{port.Name}'");
                }
            }
            if (port.TargetPort is { Length: > 0 } target && int.TryParse(target, out var number))
            {
                context.Check(field + ".targetPort", PortRules.Number(number));
            }
            if (port.Protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                context.Add(field + ".protocol", $"unknown protocol '{port.Protocol}', expected TCP, UDP or SCTP");
            }
        }
    }
}
