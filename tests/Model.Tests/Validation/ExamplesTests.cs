using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Tests.Config;
using Mesh.Model.Validation;

namespace Mesh.Model.Tests.Validation;

/// <summary>The Bookinfo manifests in the repository's <c>examples/</c> folder parse and validate cleanly.</summary>
public sealed class ExamplesTests
{
    private static ManifestParseResult ParseExamples()
    {
        var dir = Path.Combine(YamlFixtures.RepositoryRoot().FullName, "examples");
        var files = Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var objects = new List<ConfigObject>();
        var sources = new List<string>();
        var errors = new List<ConfigError>();
        foreach (var file in files)
        {
            var result = ManifestParser.Parse(File.ReadAllText(file), Path.GetFileName(file));
            objects.AddRange(result.Objects);
            sources.AddRange(result.Sources);
            errors.AddRange(result.Errors);
        }
        return new ManifestParseResult([.. objects], [.. sources], [.. errors]);
    }

    [Fact]
    public void Examples_ParseAndValidate_WithoutErrors()
    {
        var validated = ConfigValidator.Validate(ParseExamples());

        Assert.True(validated.Errors.IsEmpty, string.Join("\n", validated.Errors));
        Assert.Equal(
            [
                (ConfigKind.Service, 4), (ConfigKind.EndpointSlice, 4), (ConfigKind.Pod, 6), (ConfigKind.ServiceEntry, 1),
                (ConfigKind.VirtualService, 4), (ConfigKind.DestinationRule, 3), (ConfigKind.Sidecar, 1), (ConfigKind.Gateway, 1),
            ],
            validated.Objects.GroupBy(o => o.Kind).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())));
        // Bookinfo, plus the runnable echo demo of the README in its own namespace.
        Assert.Equal(["bookinfo", "demo"], validated.Objects.Select(o => o.Meta.Namespace).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Examples_ReviewsVirtualService_RoutesJasonToV2AndSplitsTheRest()
    {
        var reviews = ParseExamples().Objects.OfType<VirtualService>().Single(v => v.Meta.Name == "reviews");

        var jason = reviews.Http[0];
        Assert.Equal(new StringMatch(StringMatchKind.Exact, "jason"), Assert.Single(jason.Match).Headers["end-user"]);
        Assert.Equal("v2", Assert.Single(jason.Route).Destination.Subset);
        var rest = reviews.Http[1];
        Assert.Equal([("v1", 80), ("v3", 20)], rest.Route.Select(r => (r.Destination.Subset, r.Weight ?? 0)));
        Assert.Equal(TimeSpan.FromSeconds(10), rest.Timeout);
        Assert.Equal(new HttpRetry(3, TimeSpan.FromSeconds(2), "5xx"), rest.Retries);
    }

    [Fact]
    public void Examples_ReviewsEndpointSlice_ListsThreeReadyPodsAcrossZones()
    {
        var slice = ParseExamples().Objects.OfType<EndpointSlice>().Single(s => s.ServiceName == "reviews");

        Assert.Equal(
            [("10.10.2.21", "zone-a", "reviews-v1-7d9f8"), ("10.10.2.22", "zone-b", "reviews-v2-7d9f8"), ("10.10.2.23", "zone-b", "reviews-v3-7d9f8")],
            slice.Endpoints.Select(e => (e.Addresses.Single(), e.Zone, e.TargetRef!.Name)));
        Assert.All(slice.Endpoints, e => Assert.True(e.Ready));
    }
}
