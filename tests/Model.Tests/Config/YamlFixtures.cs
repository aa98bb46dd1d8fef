using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Validation;

namespace Mesh.Model.Tests.Config;

/// <summary>Parses YAML snippets in tests and fails loudly, with the errors, when a fixture does not parse.</summary>
internal static class YamlFixtures
{
    public const string Source = "test.yaml";

    public static T ParseSingle<T>(string yaml)
        where T : ConfigObject
    {
        var result = ManifestParser.Parse(yaml, Source);
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return Assert.IsAssignableFrom<T>(Assert.Single(result.Objects));
    }

    /// <summary>Parses one object (which must parse cleanly) and returns its validation errors.</summary>
    public static ImmutableArray<ConfigError> Validate(string yaml)
    {
        var obj = ParseSingle<ConfigObject>(yaml);
        return ConfigValidator.Validate(obj, Source);
    }

    /// <summary>Asserts exactly one error, at <paramref name="field"/>, whose reason contains <paramref name="reason"/>.</summary>
    public static ConfigError SingleError(ImmutableArray<ConfigError> errors, string field, string reason)
    {
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        return error;
    }

    /// <summary>Walks up from the test binaries to the folder that holds Mesh.sln.</summary>
    public static DirectoryInfo RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException($"Mesh.sln not found above {AppContext.BaseDirectory}");
    }
}
