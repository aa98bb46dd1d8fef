namespace Mesh.Grains.Keys;

/// <summary>Key of the <see cref="IMeshGrain"/>: one per mesh.</summary>
public static class MeshKey
{
    public const string Default = "default";
}
