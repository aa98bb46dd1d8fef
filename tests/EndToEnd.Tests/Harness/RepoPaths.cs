namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>Where things are: the repository root, our scripts, the Python with grpcio.</summary>
internal static class RepoPaths
{
    /// <summary>Overrides the interpreter; default is Debian's, whose python3-grpcio has the xds resolver.</summary>
    public const string PythonEnvVar = "MESH_E2E_PYTHON";

    public static string Python =>
        Environment.GetEnvironmentVariable(PythonEnvVar) is { Length: > 0 } python ? python : "/usr/bin/python3";

    public static string Script(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "scripts", fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Test script {fileName} was not copied to the output folder (expected {path}).", path);
    }

    /// <summary>The folder holding Mesh.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Mesh.sln in {AppContext.BaseDirectory} or any parent folder.");
    }
}
