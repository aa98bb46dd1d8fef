using Mesh.Ingest.Manifests;
using Mesh.Model.Config;

namespace Mesh.Ingest.Tests.Manifests;

public sealed class ManifestSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-set-").FullName;
    private readonly ManifestSet _set = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (IReadOnlyList<ConfigObject> Objects, IReadOnlyList<ConfigError> Errors) Load()
    {
        var (objects, errors, _) = _set.Update(_dir, ManifestSet.Scan(_dir));
        return (objects, errors);
    }

    private void Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        // Distinct mtimes even on coarse file systems, so the set sees the rewrite.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(Random.Shared.Next(1, 1000)));
    }

    private const string Svc = "apiVersion: v1\nkind: Service\nmetadata: {name: NAME, namespace: ns}\nspec: {ports: [{name: http, port: 80}]}\n";

    [Fact]
    public void Update_BadDocumentsRejectedAlone_ValidOnesKept()
    {
        Write("mixed.yaml", Svc.Replace("NAME", "good", StringComparison.Ordinal) + """
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: ns}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: bad-regex, namespace: ns}
            spec:
              hosts: [good]
              http: [{match: [{uri: {regex: "("}}], route: [{destination: {host: good}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: bad-weights, namespace: ns}
            spec:
              hosts: [good]
              http: [{route: [{destination: {host: good}, weight: 50}, {destination: {host: good}, weight: -40}]}]
            """);
        Write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  bad: [\n");

        var (objects, errors) = Load();

        Assert.Equal(["good"], objects.Select(o => o.Meta.Name));
        Assert.Contains(errors, e => e.Field == "kind" && e.Reason.Contains("Deployment", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Name == "bad-regex" && e.Field == "spec.http[0].match[0].uri.regex");
        Assert.Contains(errors, e => e.Name == "bad-weights" && e.Reason.Contains("-40", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Source.StartsWith("broken.yaml", StringComparison.Ordinal) && e.Reason.Contains("malformed YAML", StringComparison.Ordinal));
    }

    [Fact]
    public void Update_DeletedFile_RemovesItsObjects()
    {
        Write("a.yaml", Svc.Replace("NAME", "a", StringComparison.Ordinal));
        Write("b.yaml", Svc.Replace("NAME", "b", StringComparison.Ordinal));
        Assert.Equal(["a", "b"], Load().Objects.Select(o => o.Meta.Name));

        File.Delete(Path.Combine(_dir, "a.yaml"));

        Assert.Equal(["b"], Load().Objects.Select(o => o.Meta.Name));
    }

    [Fact]
    public void Update_ChangedFile_Reparsed()
    {
        Write("a.yaml", Svc.Replace("NAME", "a", StringComparison.Ordinal));
        Load();
        Write("a.yaml", Svc.Replace("NAME", "renamed", StringComparison.Ordinal));

        Assert.Equal(["renamed"], Load().Objects.Select(o => o.Meta.Name));
    }

    [Fact]
    public void Update_SameObjectInTwoFiles_FirstFileWinsAndDuplicateReported()
    {
        Write("1.yaml", Svc.Replace("NAME", "dup", StringComparison.Ordinal));
        Write("2.yaml", Svc.Replace("NAME", "dup", StringComparison.Ordinal));

        var (objects, errors) = Load();

        Assert.Single(objects);
        var e = Assert.Single(errors);
        Assert.Equal("2.yaml", e.Source);
        Assert.Contains("already defined in 1.yaml", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_ConfigMapMount_ReadsEachManifestOnceThroughItsLink()
    {
        // The layout kubelet's atomic writer makes: ..TIMESTAMP/file, ..data -> ..TIMESTAMP, file -> ..data/file.
        var stamped = Directory.CreateDirectory(Path.Combine(_dir, "..2026_11_23_05_00_00.123"));
        File.WriteAllText(Path.Combine(stamped.FullName, "a.yaml"), Svc.Replace("NAME", "a", StringComparison.Ordinal));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "..data"), stamped.FullName);
        File.CreateSymbolicLink(Path.Combine(_dir, "a.yaml"), Path.Combine("..data", "a.yaml"));

        var (objects, errors) = Load();

        Assert.Equal(["a"], objects.Select(o => o.Meta.Name));
        Assert.Empty(errors);
    }

    [Fact]
    public void Scan_IgnoresNonYamlFiles()
    {
        Write("a.yaml", Svc.Replace("NAME", "a", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not a manifest");
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        Write(Path.Combine("sub", "b.yml"), Svc.Replace("NAME", "b", StringComparison.Ordinal));

        Assert.Equal(2, ManifestSet.Scan(_dir).Count);
    }
    // Regression: a file deleted between the directory listing and reading its length made Scan throw
    // FileNotFoundException, which stopped the whole host (IncrementalEdsTests caught it under load).
    [Fact]
    public async Task Scan_WhileFilesAreCreatedAndDeleted_NeverThrows_AndListsOnlyFilesThatExisted()
    {
        Write("stable.yaml", Svc.Replace("NAME", "stable", StringComparison.Ordinal));
        using var stop = new CancellationTokenSource();
        var churning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var churn = Task.Run(() =>
        {
            // Many files appear and disappear together, so a scan lists files that are gone when it reads them.
            var paths = Enumerable.Range(0, 100).Select(n => Path.Combine(_dir, $"churn-{n}.yaml")).ToList();
            while (!stop.IsCancellationRequested)
            {
                paths.ForEach(p => File.WriteAllText(p, "x: 1\n"));
                churning.TrySetResult();
                paths.ForEach(File.Delete);
            }
        });
        try
        {
            await churning.Task.WaitAsync(TimeSpan.FromSeconds(10));
            // Bounded: 2,000 scans, each racing the writer above.
            for (var i = 0; i < 2_000; i++)
            {
                var stamps = ManifestSet.Scan(_dir);
                Assert.Contains(Path.Combine(_dir, "stable.yaml"), stamps.Keys);
                Assert.All(stamps.Values, v => Assert.True(v.Item1.Year > 2000, $"a stamp of a file that was gone: {v}"));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await churn;
        }
    }
}
