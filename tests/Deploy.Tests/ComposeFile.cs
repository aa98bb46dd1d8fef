using YamlDotNet.RepresentationModel;

namespace Mesh.Deploy.Tests;

/// <summary>docker-compose.yml through YamlDotNet's representation model, with the few compose shapes the tests read.</summary>
internal static class ComposeFile
{
    public const string Path = "docker-compose.yml";

    private static readonly Lazy<YamlMappingNode> s_root = new(() =>
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Repo.PathOf(Path));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    });

    public static YamlMappingNode Root => s_root.Value;

    public static IReadOnlyDictionary<string, YamlMappingNode> Services =>
        ((YamlMappingNode)Root["services"]).Children.ToDictionary(kv => Scalar(kv.Key)!, kv => (YamlMappingNode)kv.Value);

    /// <summary>The role a service plays, from its name: silo1 → silo, gateway2 → gateway, ingest → ingest.</summary>
    public static string Role(string service) => service.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');

    public static YamlNode? Get(YamlNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out node))
            {
                return null;
            }
        }
        return node;
    }

    public static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;

    /// <summary>environment as a mapping or as a list of NAME=value.</summary>
    public static IReadOnlyDictionary<string, string?> Environment(YamlMappingNode service) => Get(service, "environment") switch
    {
        YamlMappingNode map => map.Children.ToDictionary(kv => Scalar(kv.Key)!, kv => Scalar(kv.Value)),
        YamlSequenceNode list => list.Children.Select(Scalar).OfType<string>()
            .Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : null),
        _ => new Dictionary<string, string?>(),
    };

    /// <summary>depends_on as a list of names or a mapping of name → {condition}.</summary>
    public static IReadOnlyDictionary<string, string?> DependsOn(YamlMappingNode service) => Get(service, "depends_on") switch
    {
        YamlMappingNode map => map.Children.ToDictionary(kv => Scalar(kv.Key)!, kv => Scalar(Get(kv.Value, "condition"))),
        YamlSequenceNode list => list.Children.Select(Scalar).OfType<string>().ToDictionary(n => n, _ => (string?)null),
        _ => new Dictionary<string, string?>(),
    };

    /// <summary>Published host ports: short syntax [ip:]host:container[/proto], or long syntax {published, target}.</summary>
    public static IEnumerable<string> PublishedPorts(YamlMappingNode service)
    {
        if (Get(service, "ports") is not YamlSequenceNode ports)
        {
            yield break;
        }
        foreach (var port in ports.Children)
        {
            if (port is YamlMappingNode map)
            {
                if (Scalar(Get(map, "published")) is { } published)
                {
                    yield return published;
                }
                continue;
            }
            var parts = (Scalar(port) ?? "").Split('/')[0].Split(':');
            if (parts.Length >= 2)
            {
                yield return parts[^2];
            }
        }
    }

    /// <summary>Volumes as (source, target, options) from the short syntax source:target[:ro] or the long syntax.</summary>
    public static IEnumerable<(string Source, string Target)> Volumes(YamlMappingNode service)
    {
        if (Get(service, "volumes") is not YamlSequenceNode volumes)
        {
            yield break;
        }
        foreach (var volume in volumes.Children)
        {
            if (volume is YamlMappingNode map)
            {
                yield return (Scalar(Get(map, "source")) ?? "", Scalar(Get(map, "target")) ?? "");
                continue;
            }
            var parts = (Scalar(volume) ?? "").Split(':');
            yield return (parts[0], parts.Length > 1 ? parts[1] : parts[0]);
        }
    }
}
