using System.Collections.Immutable;
using System.Globalization;
using Mesh.Model.Config.Parsing;
using Mesh.Model.Tests.Config;
using Mesh.Model.Validation;

namespace Mesh.Model.Tests.Validation;

/// <summary>
/// Runs the Istio-style corpus in <c>testdata/corpus</c> (one file per kind, documents separated by <c>---</c>)
/// through the parser and the validator. The comments at the top of each document state what it must produce:
/// <c># valid</c> (no parse or validation error), or one <c># expect: field: reason</c> line per error (the field
/// path, then a substring of the reason). Parse and validation errors count alike, and must match exactly.
/// </summary>
public sealed class CorpusTests
{
    private const string ValidMarker = "# valid";
    private const string ExpectMarker = "# expect:";

    private static readonly Lazy<ImmutableArray<CorpusDocument>> Corpus = new(Load);

    public static TheoryData<string> Documents => [.. Corpus.Value.Select(d => d.Id)];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Document_ProducesExactlyTheExpectedErrors(string id)
    {
        var document = Corpus.Value.Single(d => d.Id == id);

        var parsed = ManifestParser.Parse(document.Text, id);
        var actual = parsed.Errors.AddRange(parsed.Objects.SelectMany((obj, i) => ConfigValidator.Validate(obj, parsed.Sources[i])));

        // A document holds one object: it is read unless the reader rejected it.
        Assert.Equal(parsed.Errors.IsEmpty ? 1 : 0, parsed.Objects.Length);
        var unmatched = actual.ToList();
        var missing = new List<(string Field, string Reason)>();
        foreach (var expected in document.Expected)
        {
            var index = unmatched.FindIndex(e => e.Field == expected.Field && e.Reason.Contains(expected.Reason, StringComparison.Ordinal));
            if (index < 0)
            {
                missing.Add(expected);
            }
            else
            {
                unmatched.RemoveAt(index);
            }
        }
        Assert.True(
            missing.Count == 0 && unmatched.Count == 0,
            $"{id}\nexpected but not reported:\n{Lines(missing.Select(e => $"{e.Field}: {e.Reason}"))}\n"
            + $"reported but not expected:\n{Lines(unmatched.Select(e => $"{e.Field}: {e.Reason}"))}");
    }

    [Fact]
    public void Corpus_CoversEveryKind_WithEnoughValidAndInvalidDocuments()
    {
        var documents = Corpus.Value;

        Assert.True(documents.Length >= 80, $"the corpus has {documents.Length} documents, expected at least 80");
        var invalid = documents.Count(d => !d.Expected.IsEmpty);
        Assert.True(invalid >= 30, $"the corpus has {invalid} invalid documents, expected at least 30");
        Assert.Equal(
            ["destinationrule.yaml", "gateway.yaml", "serviceentry.yaml", "sidecar.yaml", "virtualservice.yaml", "workloadentry.yaml"],
            documents.Select(d => d.File).Distinct().Order(StringComparer.Ordinal));
        Assert.All(documents.GroupBy(d => d.File), file =>
        {
            Assert.Contains(file, d => d.Expected.IsEmpty);
            Assert.Contains(file, d => !d.Expected.IsEmpty);
        });
    }

    private static string Lines(IEnumerable<string> lines)
    {
        var text = string.Join("\n", lines.Select(l => "  " + l));
        return text.Length == 0 ? "  (none)" : text;
    }

    private static ImmutableArray<CorpusDocument> Load()
    {
        var dir = Path.Combine(YamlFixtures.RepositoryRoot().FullName, "tests", "Model.Tests", "testdata", "corpus");
        var documents = ImmutableArray.CreateBuilder<CorpusDocument>();
        foreach (var path in Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
        {
            documents.AddRange(Split(Path.GetFileName(path), File.ReadAllText(path)));
        }
        return documents.ToImmutable();
    }

    /// <summary>
    /// Splits a corpus file at its <c>---</c> lines. A chunk with neither YAML nor an expectation (the file's
    /// header comment) is skipped; every other chunk must have both.
    /// </summary>
    private static IEnumerable<CorpusDocument> Split(string file, string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var start = 0;
        var index = 0;
        for (var i = 0; i <= lines.Length; i++)
        {
            if (i < lines.Length && (i == start || lines[i].TrimEnd() != "---"))
            {
                continue;
            }
            var chunk = lines[start..i];
            var firstLine = start + 1;
            start = i;
            var content = Array.FindIndex(chunk, l => l.TrimEnd() != "---" && l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
            var header = content < 0 ? chunk : chunk[..content];
            var valid = header.Any(l => l.Trim() == ValidMarker);
            var expected = header
                .Select(l => l.Trim())
                .Where(l => l.StartsWith(ExpectMarker, StringComparison.Ordinal))
                .Select(l => ParseExpectation(file, firstLine, l[ExpectMarker.Length..].Trim()))
                .ToImmutableArray();
            if (content < 0 && !valid && expected.IsEmpty)
            {
                continue;
            }
            var where = string.Create(CultureInfo.InvariantCulture, $"{file} (document at line {firstLine})");
            if (content < 0)
            {
                throw new InvalidOperationException($"{where}: an expectation without a YAML document");
            }
            if (valid == !expected.IsEmpty)
            {
                throw new InvalidOperationException($"{where}: start with either '{ValidMarker}' or '{ExpectMarker} field: reason' lines");
            }
            index++;
            var id = string.Create(CultureInfo.InvariantCulture, $"{file}#{index} (line {firstLine + content})");
            yield return new CorpusDocument(file, id, string.Join('\n', chunk), expected);
        }
    }

    /// <summary>Reads <c>field: reason</c>; the field may be empty (a whole-document error such as malformed YAML).</summary>
    private static (string Field, string Reason) ParseExpectation(string file, int line, string text)
    {
        var colon = text.StartsWith(':') ? 0 : text.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0 || text[(colon + 1)..].Trim().Length == 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{file} (document at line {line}): '{text}' is not 'field: reason'"));
        }
        return (text[..colon].Trim(), text[(colon + 1)..].Trim());
    }

    private sealed record CorpusDocument(string File, string Id, string Text, ImmutableArray<(string Field, string Reason)> Expected);
}
