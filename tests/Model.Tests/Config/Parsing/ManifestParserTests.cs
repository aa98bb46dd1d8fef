using Mesh.Model.Config;
using Mesh.Model.Config.Parsing;

namespace Mesh.Model.Tests.Config.Parsing;

public sealed partial class ManifestParserTests
{
    private const string ThreeDocumentsMiddleMalformed = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: bookinfo
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: broken
          labels: {app: broken
        spec: {}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: later
        """;

    [Fact]
    public void Parse_MalformedDocumentInMiddle_ReturnsOthersAndNamesDocumentAndLine()
    {
        var result = ManifestParser.Parse(ThreeDocumentsMiddleMalformed, "ns.yaml");

        Assert.Equal(["bookinfo", "later"], result.Objects.Select(o => o.Meta.Name));
        Assert.Equal(["ns.yaml#1 (line 1)", "ns.yaml#3 (line 13)"], result.Sources.ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal("ns.yaml#2 (line 6)", error.Source);
        Assert.Null(error.Kind);
        Assert.Equal("malformed YAML at line 10, column 15: cannot parse here (check brackets, quotes and indentation)", error.Reason);
        Assert.StartsWith("ns.yaml#2 (line 6): malformed YAML at line 10", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownKind_ReportsKindAndApiVersion()
    {
        var result = ManifestParser.Parse("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: reviews-v1
              namespace: bookinfo
            """, "deploy.yaml");

        Assert.Empty(result.Objects);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("Deployment", "bookinfo", "reviews-v1", "kind"), (error.Kind, error.Namespace, error.Name, error.Field));
        Assert.Equal("unknown kind 'Deployment' (apiVersion 'apps/v1')", error.Reason);
        Assert.Equal("Deployment bookinfo/reviews-v1 (deploy.yaml#1 (line 1)): kind: unknown kind 'Deployment' (apiVersion 'apps/v1')", error.ToString());
    }

    [Fact]
    public void Parse_KnownKindUnsupportedApiVersion_ListsSupportedVersions()
    {
        var result = ManifestParser.Parse("""
            apiVersion: networking.istio.io/v2
            kind: VirtualService
            metadata: {name: reviews}
            """, "vs.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(
            "unsupported apiVersion 'networking.istio.io/v2' for kind 'VirtualService', expected one of networking.istio.io/v1, networking.istio.io/v1alpha3, networking.istio.io/v1beta1",
            error.Reason);
    }

    [Fact]
    public void Parse_MissingApiVersionKindAndName_ReportsEachRequiredField()
    {
        var result = ManifestParser.Parse("metadata:\n  namespace: bookinfo\n", "x.yaml");

        Assert.Empty(result.Objects);
        Assert.Equal(["apiVersion", "kind", "metadata.name"], result.Errors.Select(e => e.Field));
        Assert.All(result.Errors, e => Assert.Equal("is required", e.Reason));
    }

    [Fact]
    public void Parse_EmptyDocumentsAndComments_AreSkippedAndNotCounted()
    {
        var result = ManifestParser.Parse("""
            ---
            # only a comment
            ---

            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: bookinfo
            ---
            """, "ns.yaml");

        Assert.Empty(result.Errors);
        Assert.Equal("ns.yaml#1 (line 6)", Assert.Single(result.Sources));
    }

    [Fact]
    public void Parse_List_ReadsEachItemAndRejectsInvalidItemsAlone()
    {
        var result = ManifestParser.Parse("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: one}
            - apiVersion: v1
              kind: Service
              metadata: {name: bad}
              spec:
                ports:
                - port: http
            - apiVersion: v1
              kind: Namespace
              metadata: {name: three}
            """, "list.yaml");

        Assert.Equal(["one", "three"], result.Objects.Select(o => o.Meta.Name));
        Assert.Equal(["list.yaml#1 (line 4)", "list.yaml#1 (line 13)"], result.Sources.ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal(("Service", "default", "bad", "spec.ports[0].port"), (error.Kind, error.Namespace, error.Name, error.Field));
        Assert.Equal("expected an integer, got 'http'", error.Reason);
        Assert.Equal("list.yaml#1 (line 7)", error.Source);
    }

    [Fact]
    public void Parse_MissingNamespace_DefaultsToDefault()
    {
        var service = YamlFixtures.ParseSingle<KubeService>("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews}
            spec:
              ports: [{port: 9080}]
            """);

        Assert.Equal(new ConfigKey(ConfigKind.Service, "default", "reviews"), service.Key);
    }

    [Fact]
    public void Parse_WrongTypes_ReportsEveryFieldPathAndRejectsObject()
    {
        var result = ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: reviews
              http:
              - route:
                - destination: {host: reviews}
                  weight: lots
                - destination: [reviews]
                timeout: 10x
              - match: {uri: {exact: /}}
            """, "vs.yaml");

        Assert.Empty(result.Objects);
        Assert.Equal(
            [
                ("spec.hosts", "expected a list, got 'reviews'"),
                ("spec.http[0].route[0].weight", "expected an integer, got 'lots'"),
                ("spec.http[0].route[1].destination", "expected a mapping, got a list"),
                ("spec.http[0].timeout", "invalid duration '10x': expected a number with a unit, e.g. 10s, 1.5s, 500ms, 1m, 1h"),
                ("spec.http[1].match", "expected a list, got a mapping"),
            ],
            result.Errors.Select(e => (e.Field, e.Reason)));
        Assert.All(result.Errors, e => Assert.Equal(("VirtualService", "bookinfo", "reviews"), (e.Kind, e.Namespace, e.Name)));
    }

    [Fact]
    public void Parse_StringMatchWithTwoForms_IsRejected()
    {
        var result = ManifestParser.Parse("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match:
                - uri: {exact: /a, prefix: /b}
                route:
                - destination: {host: reviews}
            """, "vs.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.http[0].match[0].uri", error.Field);
        Assert.Equal("must set exactly one of exact, prefix or regex", error.Reason);
    }

    [Fact]
    public void Parse_DocumentThatIsNotAMapping_IsRejected()
    {
        var result = ManifestParser.Parse("- a\n- b\n", "x.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("expected an object (a mapping with apiVersion, kind and metadata)", error.Reason);
        Assert.Equal("x.yaml#1 (line 1)", error.Source);
    }

    [Fact]
    public void Parse_DuplicateKey_IsMalformedYaml()
    {
        var result = ManifestParser.Parse("apiVersion: v1\nkind: Namespace\nkind: Namespace\nmetadata: {name: a}\n", "x.yaml");

        Assert.Empty(result.Objects);
        Assert.StartsWith("malformed YAML at line 3", Assert.Single(result.Errors).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WindowsLineEndings_SplitsDocumentsAndCountsLines()
    {
        var yaml = "apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: a}\r\n---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: b}\r\n";

        var result = ManifestParser.Parse(yaml, "crlf.yaml");

        Assert.Empty(result.Errors);
        Assert.Equal(["crlf.yaml#1 (line 1)", "crlf.yaml#2 (line 5)"], result.Sources.ToArray());
    }
}
