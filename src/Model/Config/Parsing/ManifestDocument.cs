namespace Mesh.Model.Config.Parsing;

/// <summary>
/// One <c>---</c>-separated chunk of a manifest file. <see cref="FirstLine"/> is the 1-based file line the
/// chunk text starts at; <see cref="ContentLine"/> is its first line that is not blank, a comment or a marker.
/// </summary>
internal readonly record struct ManifestDocument(string Text, int FirstLine, int ContentLine)
{
    /// <summary>
    /// Splits at document markers so that a malformed document cannot stop the ones after it
    /// (YamlDotNet's parser gives up on the whole stream at the first syntax error).
    /// Empty documents are dropped.
    /// </summary>
    public static IEnumerable<ManifestDocument> Split(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var start = 0;
        for (var i = 0; i <= lines.Length; i++)
        {
            if (i == lines.Length || (i > start && IsMarker(lines[i])))
            {
                var content = FindContent(lines, start, i);
                if (content >= 0)
                {
                    yield return new ManifestDocument(string.Join('\n', lines, start, i - start), start + 1, content + 1);
                }
                start = i;
            }
        }
    }

    private static bool IsMarker(string line) =>
        line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || line[3] is ' ' or '\t');

    private static int FindContent(string[] lines, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var trimmed = lines[i].Trim();
            if (IsMarker(lines[i]))
            {
                trimmed = trimmed[3..].Trim();
            }
            if (trimmed.Length > 0 && trimmed[0] != '#' && trimmed != "...")
            {
                return i;
            }
        }
        return -1;
    }
}
