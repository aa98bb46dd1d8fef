namespace Mesh.Grains;

/// <summary>The grain storage provider name for state that cannot be re-derived.</summary>
public static class GrainStorage
{
    public const string Name = "mesh";
}
