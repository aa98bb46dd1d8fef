namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// A manifests folder for one silo. Files are written atomically: the text goes to a staging
/// folder on the same file system, then is renamed into <see cref="Path"/>, so the watcher never
/// sees a half-written file or a temporary name.
/// </summary>
internal sealed class TempManifestDir : IDisposable
{
    private readonly string _root;
    private readonly string _staging;

    public TempManifestDir()
    {
        _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mesh-e2e-{Guid.NewGuid():N}");
        Path = System.IO.Path.Combine(_root, "manifests");
        _staging = System.IO.Path.Combine(_root, "staging");
        Directory.CreateDirectory(Path);
        Directory.CreateDirectory(_staging);
    }

    /// <summary>The folder to pass as <c>--manifests</c>.</summary>
    public string Path { get; }

    public void Write(string fileName, string yaml)
    {
        var staged = System.IO.Path.Combine(_staging, $"{Guid.NewGuid():N}-{fileName}");
        File.WriteAllText(staged, yaml);
        File.Move(staged, System.IO.Path.Combine(Path, fileName), overwrite: true);
    }

    public void Delete(string fileName) => File.Delete(System.IO.Path.Combine(Path, fileName));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover folder in /tmp must not fail a test.
        }
    }
}
