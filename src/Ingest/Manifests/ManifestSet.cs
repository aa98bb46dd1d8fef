using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Validation;

namespace Mesh.Ingest.Manifests;

/// <summary>
/// The parsed content of a manifest directory, re-parsing only files whose size or modification
/// time changed. Invalid objects are rejected alone; a key defined in two files is kept from the
/// first file (ordinal path order) and reported.
/// </summary>
public sealed class ManifestSet
{
    private readonly Dictionary<string, FileEntry> _files = new(StringComparer.Ordinal);

    private sealed record FileEntry(DateTime Modified, long Length, ImmutableArray<ConfigObject> Valid, ImmutableArray<ConfigError> Errors, ImmutableArray<ConfigError> Warnings);

    /// <summary>Lists the manifest files and their (modified, length) stamps.</summary>
    public static ImmutableSortedDictionary<string, (DateTime, long)> Scan(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return ImmutableSortedDictionary<string, (DateTime, long)>.Empty;
        }
        var stamps = ImmutableSortedDictionary.CreateBuilder<string, (DateTime, long)>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            // A mounted ConfigMap keeps its real files in "..data"/"..TIMESTAMP" and links them at the top:
            // read each manifest once, through its link.
            .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith("..", StringComparison.Ordinal)));
        foreach (var path in files)
        {
            var file = new FileInfo(path);
            try
            {
                // Length throws for a file deleted since the listing (LastWriteTimeUtc would say 1601).
                var length = file.Length;
                stamps[file.FullName] = (file.LastWriteTimeUtc, length);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted (or its directory moved) between the listing and now: it is not there, and
                // the change that removed it is picked up by the next scan. Any other error fails
                // the scan, so the caller retries rather than dropping a file's objects.
            }
        }
        return stamps.ToImmutable();
    }

    /// <summary>Brings the set up to date with <paramref name="stamps"/>; returns the objects, all errors and the warnings of the objects served.</summary>
    public (ImmutableArray<ConfigObject> Objects, ImmutableArray<ConfigError> Errors, ImmutableArray<ConfigError> Warnings) Update(
        string directory, ImmutableSortedDictionary<string, (DateTime Modified, long Length)> stamps)
    {
        foreach (var gone in _files.Keys.Where(f => !stamps.ContainsKey(f)).ToList())
        {
            _files.Remove(gone);
        }
        foreach (var (path, (modified, length)) in stamps)
        {
            if (_files.TryGetValue(path, out var e) && e.Modified == modified && e.Length == length)
            {
                continue;
            }
            _files[path] = Load(directory, path, modified, length);
        }

        var objects = ImmutableArray.CreateBuilder<ConfigObject>();
        var errors = ImmutableArray.CreateBuilder<ConfigError>();
        var warnings = ImmutableArray.CreateBuilder<ConfigError>();
        var seen = new Dictionary<ConfigKey, string>();
        foreach (var (path, entry) in _files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            errors.AddRange(entry.Errors);
            warnings.AddRange(entry.Warnings);
            var source = Path.GetRelativePath(directory, path);
            foreach (var obj in entry.Valid)
            {
                if (seen.TryGetValue(obj.Key, out var first))
                {
                    errors.Add(new ConfigError(source, obj.Kind.ToString(), obj.Meta.Namespace, obj.Meta.Name, "metadata.name",
                        $"duplicate: {obj.Key} is already defined in {first}; this copy is ignored"));
                    continue;
                }
                seen[obj.Key] = source;
                objects.Add(obj);
            }
        }
        return (objects.ToImmutable(), errors.ToImmutable(), warnings.ToImmutable());
    }

    private static FileEntry Load(string directory, string path, DateTime modified, long length)
    {
        var source = Path.GetRelativePath(directory, path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            return new FileEntry(modified, length, [], [new ConfigError(source, null, null, null, "", $"cannot read file: {ex.Message}")], []);
        }
        var parsed = ManifestParser.Parse(text, source);
        var valid = ImmutableArray.CreateBuilder<ConfigObject>();
        var errors = parsed.Errors.ToBuilder();
        var warnings = ImmutableArray.CreateBuilder<ConfigError>();
        for (var i = 0; i < parsed.Objects.Length; i++)
        {
            var obj = parsed.Objects[i];
            var problems = ConfigValidator.Validate(obj, parsed.Sources[i]);
            if (problems.IsDefaultOrEmpty)
            {
                valid.Add(obj);
                warnings.AddRange(ConfigWarnings.Of(obj, parsed.Sources[i]));
            }
            else
            {
                errors.AddRange(problems);
            }
        }
        return new FileEntry(modified, length, valid.ToImmutable(), errors.ToImmutable(), warnings.ToImmutable());
    }
}
