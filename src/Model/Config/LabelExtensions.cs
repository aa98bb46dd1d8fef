namespace Mesh.Model.Config;

/// <summary>Label-selector matching shared by selectors, subsets and workload selectors.</summary>
public static class LabelExtensions
{
    /// <summary>True when every selector label is present in <paramref name="labels"/> with the same value.</summary>
    public static bool Matches(this IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in selector)
        {
            if (!labels.TryGetValue(k, out var actual) || actual != v)
            {
                return false;
            }
        }
        return true;
    }
}
