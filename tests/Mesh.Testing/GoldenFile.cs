namespace Mesh.Testing;

/// <summary>
/// Compares rendered output with <c>tests/PROJECT/testdata/…</c>; with <c>REFRESH_GOLDEN=true</c> it
/// rewrites the expected file in the source tree instead (Istio's convention).
/// </summary>
public static class GoldenFile
{
    public const string RefreshVariable = "REFRESH_GOLDEN";

    public static void AssertMatches(string testProject, string relativePath, string actual)
    {
        var sourcePath = SourceTestData(testProject, relativePath);
        if (string.Equals(Environment.GetEnvironmentVariable(RefreshVariable), "true", StringComparison.OrdinalIgnoreCase))
        {
            if (sourcePath is null)
            {
                throw new InvalidOperationException("REFRESH_GOLDEN=true but no folder containing Mesh.sln above " + AppContext.BaseDirectory);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(sourcePath)!);
            File.WriteAllText(sourcePath, actual);
            return;
        }
        var expectedPath = sourcePath is not null && File.Exists(sourcePath)
            ? sourcePath
            : Path.Combine(AppContext.BaseDirectory, "testdata", relativePath);
        if (!File.Exists(expectedPath))
        {
            throw new GoldenMismatchException($"missing golden file {expectedPath}; run with {RefreshVariable}=true to create it");
        }
        var expected = File.ReadAllText(expectedPath).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            throw new GoldenMismatchException($"{relativePath} differs from the golden file {expectedPath}; review the change and run with {RefreshVariable}=true to accept it.\n{FirstDifference(expected, actual)}");
        }
    }

    private static string? SourceTestData(string testProject, string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return Path.Combine(dir.FullName, "tests", testProject, "testdata", relativePath);
            }
        }
        return null;
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var left = i < e.Length ? e[i] : "<end>";
            var right = i < a.Length ? a[i] : "<end>";
            if (left != right)
            {
                return $"line {i + 1}: expected `{left}`, actual `{right}`";
            }
        }
        return "";
    }
}
