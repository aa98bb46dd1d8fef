using k8s;
using k8s.Models;

namespace Mesh.Deploy.Tests;

/// <summary>One object of deploy/k8s and the file it came from.</summary>
internal sealed record Manifest(string File, IKubernetesObject<V1ObjectMeta> Object)
{
    public string Kind => Object.Kind;

    public string Name => Object.Metadata?.Name ?? "(no name)";

    public string? Namespace => Object.Metadata?.NamespaceProperty;

    public override string ToString() => $"{File} {Kind}/{Name}";
}

/// <summary>A Deployment or StatefulSet: what Services, PDBs and HPAs select.</summary>
internal sealed record Workload(Manifest Manifest, V1LabelSelector Selector, V1PodTemplateSpec Template)
{
    public IDictionary<string, string> PodLabels => Template.Metadata?.Labels ?? new Dictionary<string, string>();

    public IEnumerable<V1Container> Containers =>
        (Template.Spec?.InitContainers ?? []).Concat(Template.Spec?.Containers ?? []);

    public override string ToString() => Manifest.ToString();
}

/// <summary>Every object in deploy/k8s/*.yaml, parsed by KubernetesClient into its typed model.</summary>
internal static class KubernetesManifests
{
    public const string Directory = "deploy/k8s";
    public const string MeshNamespace = "mesh-system";

    /// <summary>The kinds the manifests may contain, each with the model type it must parse to.</summary>
    public static readonly IReadOnlyDictionary<string, Type> AllowedKinds = new Dictionary<string, Type>
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/Service"] = typeof(V1Service),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["autoscaling/v2/HorizontalPodAutoscaler"] = typeof(V2HorizontalPodAutoscaler),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["rbac.authorization.k8s.io/v1/Role"] = typeof(V1Role),
        ["rbac.authorization.k8s.io/v1/RoleBinding"] = typeof(V1RoleBinding),
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole),
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
        ["apiextensions.k8s.io/v1/CustomResourceDefinition"] = typeof(V1CustomResourceDefinition),
    };

    private static readonly Lazy<IReadOnlyList<Manifest>> s_all = new(Load);

    public static IEnumerable<string> Files() =>
        System.IO.Directory.EnumerateFiles(Repo.PathOf(Directory))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>Parses one file strictly (an unknown field is an error) into typed objects.</summary>
    public static List<object> Parse(string file) =>
        KubernetesYaml.LoadAllFromString(System.IO.File.ReadAllText(file), typeMap: null, strict: true);

    public static IReadOnlyList<Manifest> All => s_all.Value;

    public static IEnumerable<(Manifest Manifest, T Object)> OfType<T>() =>
        All.Where(m => m.Object is T).Select(m => (m, (T)m.Object));

    public static IReadOnlyList<Workload> Workloads() =>
    [
        .. OfType<V1Deployment>().Select(d => new Workload(d.Manifest, d.Object.Spec.Selector, d.Object.Spec.Template)),
        .. OfType<V1StatefulSet>().Select(s => new Workload(s.Manifest, s.Object.Spec.Selector, s.Object.Spec.Template)),
    ];

    /// <summary>True when every key/value of <paramref name="selector"/> is among <paramref name="labels"/>.</summary>
    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>A port reference (number or name) resolved against the containers' declared ports.</summary>
    public static bool HasPort(IEnumerable<V1Container> containers, IntOrString? port)
    {
        var value = port?.Value;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }
        var ports = containers.SelectMany(c => c.Ports ?? []).ToList();
        return int.TryParse(value, out var number)
            ? ports.Any(p => p.ContainerPort == number)
            : ports.Any(p => p.Name == value);
    }

    private static List<Manifest> Load()
    {
        var all = new List<Manifest>();
        foreach (var file in Files())
        {
            List<object> objects;
            try
            {
                objects = Parse(file);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or ArgumentException or KeyNotFoundException)
            {
                throw new InvalidOperationException($"{Repo.Relative(file)}: does not parse into typed Kubernetes objects: {e.Message}", e);
            }
            foreach (var obj in objects)
            {
                if (obj is not IKubernetesObject<V1ObjectMeta> k8sObject)
                {
                    throw new InvalidOperationException($"{Repo.Relative(file)}: {obj.GetType().Name} has no metadata");
                }
                all.Add(new Manifest(Repo.Relative(file), k8sObject));
            }
        }
        return all;
    }
}
