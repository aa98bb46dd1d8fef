using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Reads Kubernetes and Istio objects from YAML manifests. Pure: no I/O, never throws on bad input.
/// Each document (and each item of a <c>kind: List</c>) is read on its own, so a malformed or invalid
/// object is rejected alone and every error names its document, e.g. <c>bookinfo.yaml#3 (line 41)</c>
/// (the 3rd non-empty document, which starts at line 41), and the field path.
/// </summary>
public static class ManifestParser
{
    public static ManifestParseResult Parse(string yamlText, string source)
    {
        var objects = ImmutableArray.CreateBuilder<ConfigObject>();
        var sources = ImmutableArray.CreateBuilder<string>();
        var errors = ImmutableArray.CreateBuilder<ConfigError>();
        var index = 0;
        foreach (var document in ManifestDocument.Split(yamlText))
        {
            var stream = new YamlStream();
            var parser = new TrackingParser(new StringReader(document.Text));
            try
            {
                stream.Load(parser);
            }
            catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
            {
                index++;
                errors.Add(new ConfigError(DocumentSource(source, index, document.ContentLine), null, null, null, "", Malformed(ex, parser.LastEnd, document)));
                continue;
            }
            foreach (var yaml in stream.Documents)
            {
                if (yaml.RootNode is YamlScalarNode { Value: null or "" })
                {
                    continue;
                }
                index++;
                var line = (int)(document.FirstLine + yaml.RootNode.Start.Line - 1);
                var context = new ParseContext(DocumentSource(source, index, line));
                var root = new YamlCursor(yaml.RootNode, "", context);
                if (IsList(root))
                {
                    foreach (var item in root.Field("items").Items())
                    {
                        var itemContext = new ParseContext(DocumentSource(source, index, (int)(document.FirstLine + item.Line - 1)));
                        ReadObject(new YamlCursor(item.Node, "", itemContext), objects, sources, errors);
                    }
                    errors.AddRange(context.Errors);
                }
                else
                {
                    ReadObject(root, objects, sources, errors);
                }
            }
        }
        return new ManifestParseResult(objects.ToImmutable(), sources.ToImmutable(), errors.ToImmutable());
    }

    private static void ReadObject(
        YamlCursor root,
        ImmutableArray<ConfigObject>.Builder objects,
        ImmutableArray<string>.Builder sources,
        ImmutableArray<ConfigError>.Builder errors)
    {
        var context = root.Context;
        if (root.Exists && root.Node is not YamlMappingNode)
        {
            root.Error("expected an object (a mapping with apiVersion, kind and metadata)");
            errors.AddRange(context.Errors);
            return;
        }
        var apiVersion = root.Field("apiVersion").RequiredString();
        var kind = root.Field("kind").RequiredString();
        context.Kind = kind.Length == 0 ? null : kind;
        var known = KnownKinds.TryGet(apiVersion, kind, out var read, out var namespaced);
        var meta = MetadataReader.Read(root, namespaced || !known);
        if (!known && apiVersion.Length > 0 && kind.Length > 0)
        {
            root.Field("kind").Error(UnknownKind(apiVersion, kind));
        }
        if (known)
        {
            var obj = read(root, meta);
            if (!context.HasErrors)
            {
                if (KnownKinds.ReportsUnread(kind) && root.Field("spec").UnreadFields().AddRange(context.NotTranslated) is { IsEmpty: false } unsupported)
                {
                    obj = obj with { Unsupported = unsupported };
                }
                objects.Add(obj);
                sources.Add(context.Source);
                return;
            }
        }
        errors.AddRange(context.Errors);
    }

    private static string UnknownKind(string apiVersion, string kind)
    {
        var versions = string.Join(", ", KnownKinds.VersionsOf(kind));
        return versions.Length == 0
            ? $"unknown kind '{kind}' (apiVersion '{apiVersion}')"
            : $"unsupported apiVersion '{apiVersion}' for kind '{kind}', expected one of {versions}";
    }

    private static bool IsList(YamlCursor root) =>
        root.Node is YamlMappingNode
        && string.Equals(root.Field("kind").String(), "List", StringComparison.Ordinal)
        && string.Equals(root.Field("apiVersion").String(), "v1", StringComparison.Ordinal);

    private static string DocumentSource(string source, int index, int line) =>
        string.Create(CultureInfo.InvariantCulture, $"{source}#{index} (line {line})");

    private static string Malformed(Exception ex, Mark lastEnd, ManifestDocument document)
    {
        var position = ex is YamlException yaml ? yaml.Start : lastEnd;
        // YamlException.Message repeats the chunk-relative position; report the file position instead.
        var message = ex is YamlException ? ex.InnerException?.Message ?? ex.Message : "cannot parse here (check brackets, quotes and indentation)";
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        if (cut >= 0 && message.StartsWith('('))
        {
            message = message[(cut + 3)..];
        }
        var line = document.FirstLine + position.Line - 1;
        return string.Create(CultureInfo.InvariantCulture, $"malformed YAML at line {line}, column {position.Column}: {message}");
    }
}
