using System.Globalization;
using System.Text;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// The stdout and stderr of one child process, interleaved, time-stamped and bounded to the last
/// <see cref="MaxLines"/> lines so a chatty process cannot exhaust memory. Thread-safe.
/// </summary>
internal sealed class ProcessOutput(string name)
{
    public const int MaxLines = 4000;

    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private readonly DateTime _start = DateTime.UtcNow;
    private int _dropped;

    public string Name { get; } = name;

    public void Add(string stream, string line)
    {
        var elapsed = (DateTime.UtcNow - _start).TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _lines.Enqueue($"[{elapsed,8}s {stream}] {line}");
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }

    /// <summary>The last <paramref name="count"/> lines, headed by the process name.</summary>
    public string Tail(int count = 60)
    {
        lock (_gate)
        {
            var skip = Math.Max(0, _lines.Count - count);
            var builder = new StringBuilder();
            builder.Append(CultureInfo.InvariantCulture, $"--- last {_lines.Count - skip} output lines of {Name}");
            if (skip + _dropped > 0)
            {
                builder.Append(CultureInfo.InvariantCulture, $" ({skip + _dropped} earlier lines not shown)");
            }

            builder.AppendLine(" ---");
            foreach (var line in _lines.Skip(skip))
            {
                builder.AppendLine(line);
            }

            return builder.ToString();
        }
    }

    public override string ToString() => Tail(MaxLines);
}
