using System.Collections.Immutable;
using System.Text;
using Mesh.Model.Translation;

namespace Mesh.Grains.Keys;

/// <summary>
/// A short, stable name for a label set, for keys of grains that labels decide (a workload's pods
/// from two ReplicaSets of one Deployment can differ in labels, and then in config).
/// </summary>
public static class LabelsKey
{
    public static string Of(ImmutableSortedDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.IsEmpty)
        {
            return "-";
        }
        var text = new StringBuilder();
        foreach (var (k, v) in labels)
        {
            text.Append(k).Append('=').Append(v).Append('\n');
        }
        return ContentHash.Of(Encoding.UTF8.GetBytes(text.ToString()))[..8];
    }
}
