using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Rules for a workload spec, as a <c>WorkloadEntry</c> or an inline ServiceEntry endpoint.</summary>
internal static class WorkloadEntryValidator
{
    public static void Validate(WorkloadEntrySpec spec, string field, ValidationContext context)
    {
        if (spec.Address.Length == 0)
        {
            context.Add(field + ".address", "is required");
        }
        else if (!ServiceEntryValidator.IsUnixAddress(spec.Address) && !PortRules.IsIp(spec.Address) && HostRules.WildcardDomain(spec.Address) is not null)
        {
            context.Add(field + ".address", $"'{spec.Address}' is not a valid IP address, DNS name or unix:// socket");
        }
        foreach (var (name, number) in spec.Ports)
        {
            context.Check($"{field}.ports.{name}", PortRules.Number(number));
        }
        if (spec.Weight is < 0)
        {
            context.Add(field + ".weight", $"weight {spec.Weight} must be non-negative");
        }
        NameRules.Labels(context, field + ".labels", spec.Labels);
    }
}
