using Mesh.Model.Config;
using Mesh.Model.Tests.Config;

namespace Mesh.Model.Tests.Fences;

/// <summary>ServiceFence documents for the fence tests.</summary>
internal static class FenceFixtures
{
    /// <summary>Slime's ServiceFence <c>shop/web</c> with <paramref name="yamlSpec"/> (indented YAML) as its spec.</summary>
    public static ServiceFence Web(string yamlSpec) => YamlFixtures.ParseSingle<ServiceFence>($"""
        apiVersion: microservice.slime.io/v1alpha1
        kind: ServiceFence
        metadata: {"{"}name: web, namespace: shop{"}"}
        spec:
        {yamlSpec}
        """);
}
