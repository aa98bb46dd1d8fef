using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Sidecar rules: egress listeners with valid ports and <c>namespace/dnsName</c> hosts (the outbound mode is checked by the reader).</summary>
internal static class SidecarValidator
{
    public static void Validate(Sidecar sidecar, ValidationContext context)
    {
        if (sidecar.WorkloadSelector is { } selector)
        {
            NameRules.Labels(context, "spec.workloadSelector.labels", selector.Labels);
        }
        var catchAll = 0;
        for (var i = 0; i < sidecar.Egress.Length; i++)
        {
            var egress = sidecar.Egress[i];
            var field = $"spec.egress[{i}]";
            if (egress.Port is { } port)
            {
                context.Check(field + ".port.number", PortRules.Number(port));
            }
            else if (++catchAll == 2)
            {
                context.Add(field, "only one egress listener may omit port (the catch-all listener)");
            }
            if (egress.Hosts.IsDefaultOrEmpty)
            {
                context.Add(field + ".hosts", "at least one host is required");
            }
            for (var h = 0; h < egress.Hosts.Length; h++)
            {
                context.Check($"{field}.hosts[{h}]", HostRules.NamespaceSlashHost(egress.Hosts[h], namespaceOptional: false));
            }
        }
    }
}
