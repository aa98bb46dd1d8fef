using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>
/// Pure: the full set of valid source objects → the <see cref="DesiredState"/> of every grain, by
/// indexing them in a <see cref="RegistryIndex"/> and compiling every host and namespace (the same
/// code the Kubernetes source runs per change).
/// </summary>
public static class RegistryCompiler
{
    public static DesiredState Compile(IReadOnlyCollection<ConfigObject> objects, MeshSettings settings)
    {
        var index = new RegistryIndex(settings);
        var dirty = new DirtySet();
        foreach (var o in objects)
        {
            index.Apply(o.Key, o, dirty);
        }
        var diagnostics = new List<ConfigError>();
        var services = ImmutableSortedDictionary.CreateBuilder<string, DesiredService>(StringComparer.Ordinal);
        foreach (var host in index.Hosts.Order(StringComparer.Ordinal))
        {
            if (index.CompileHost(host, diagnostics) is { } svc)
            {
                services[host] = svc;
            }
        }
        var byNamespace = services.Values.Select(s => s.Definition).ToLookup(d => d.Namespace, StringComparer.Ordinal);
        var namespaces = ImmutableSortedDictionary.CreateBuilder<string, NamespaceConfig>(StringComparer.Ordinal);
        foreach (var ns in index.Namespaces)
        {
            if (index.CompileNamespace(ns, byNamespace[ns]) is { } config)
            {
                namespaces[ns] = config;
            }
        }
        return new DesiredState(services.ToImmutable(), namespaces.ToImmutable(), [.. diagnostics]);
    }
}
