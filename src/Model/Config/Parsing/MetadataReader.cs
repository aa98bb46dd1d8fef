namespace Mesh.Model.Config.Parsing;

/// <summary>Reads <c>metadata</c>; a missing namespace is <c>default</c>, as kubectl assumes.</summary>
internal static class MetadataReader
{
    public const string DefaultNamespace = "default";

    public static ObjectMeta Read(YamlCursor root, bool namespaced)
    {
        var metadata = root.Field("metadata");
        var name = metadata.Field("name").RequiredString();
        var ns = metadata.Field("namespace").String();
        root.Context.Name = name.Length == 0 ? null : name;
        root.Context.Namespace = namespaced ? (string.IsNullOrEmpty(ns) ? DefaultNamespace : ns) : "";
        return new ObjectMeta(
            name,
            root.Context.Namespace,
            metadata.Field("labels").StringMap(),
            metadata.Field("annotations").StringMap(),
            metadata.Field("uid").String(),
            metadata.Field("resourceVersion").String());
    }
}
