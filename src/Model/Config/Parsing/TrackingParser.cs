using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Wraps YamlDotNet's parser to remember where the last event ended, so a failure that YamlDotNet
/// reports without a position (it sometimes throws <see cref="InvalidOperationException"/>) still has a line.
/// </summary>
internal sealed class TrackingParser(TextReader input) : IParser
{
    private readonly Parser inner = new(input);

    public Mark LastEnd { get; private set; } = Mark.Empty;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        var moved = inner.MoveNext();
        if (inner.Current is { } current)
        {
            LastEnd = current.End;
        }
        return moved;
    }
}
