namespace Mesh.Deploy.Tests;

/// <summary>Paths in the repository under test, found by walking up to Mesh.sln.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Repository-relative path with forward slashes, for failure messages.</summary>
    public static string Relative(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Mesh.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>Collects every broken reference so one run reports them all, each naming file, object and field.</summary>
internal sealed class Problems
{
    private readonly List<string> _items = [];

    public void Add(string problem) => _items.Add(problem);

    public void Check(bool ok, string problem)
    {
        if (!ok)
        {
            _items.Add(problem);
        }
    }

    public void AssertNone()
    {
        if (_items.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"{_items.Count} problem(s):\n  " + string.Join("\n  ", _items));
        }
    }
}
