using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Pod rules: the pod IP, when known, is a valid IP.</summary>
internal static class PodValidator
{
    public static void Validate(Pod pod, ValidationContext context)
    {
        if (pod.PodIP is { Length: > 0 } ip && !PortRules.IsIp(ip))
        {
            context.Add("status.podIP", $"'{ip}' is not a valid IP address");
        }
    }
}
