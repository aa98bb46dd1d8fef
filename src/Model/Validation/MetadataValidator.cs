using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Name, namespace and label rules common to every kind.</summary>
internal static class MetadataValidator
{
    public static void Validate(ConfigObject obj, ValidationContext context)
    {
        var meta = obj.Meta;
        // Services become DNS labels (<name>.<ns>.svc); namespaces too. Other objects are DNS-1123 subdomains.
        context.Check("metadata.name", obj.Kind switch
        {
            ConfigKind.Service => NameRules.Dns1035Label(meta.Name),
            ConfigKind.Namespace => NameRules.Dns1123Label(meta.Name),
            _ => NameRules.Dns1123Subdomain(meta.Name),
        });
        if (obj.Kind is not (ConfigKind.Namespace or ConfigKind.Node)) // cluster-scoped
        {
            context.Check("metadata.namespace", NameRules.Dns1123Label(meta.Namespace));
        }
        NameRules.Labels(context, "metadata.labels", meta.Labels);
    }
}
