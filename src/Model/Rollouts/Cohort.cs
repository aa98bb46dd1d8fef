using System.IO.Hashing;
using System.Text;
using Mesh.Model.Config;

namespace Mesh.Model.Rollouts;

/// <summary>
/// Which proxies a rollout's stage reaches. A percentage stage takes the proxies whose bucket (a
/// stable hash of the node id into 0–9999) is below percent × 100, so a proxy keeps its place across
/// reconnects, gateways and silos, and every wider stage contains the narrower ones. A canary
/// stage takes the proxies whose node labels match its selector, and they stay in the cohort as
/// the percentages widen it.
/// </summary>
public static class Cohort
{
    public const int Buckets = 10_000;

    /// <summary>The node id's bucket, 0 to 9999: XXH3 (seed 0) of its UTF-8 bytes, modulo 10,000.</summary>
    public static int BucketOf(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        Span<byte> small = stackalloc byte[256];
        var count = Encoding.UTF8.GetByteCount(nodeId);
        var bytes = count <= small.Length ? small[..count] : new byte[count];
        Encoding.UTF8.GetBytes(nodeId, bytes);
        return (int)(XxHash3.HashToUInt64(bytes) % Buckets);
    }

    /// <summary>Whether a proxy (its bucket and node labels) is in the cohort of <paramref name="stages"/>[<paramref name="stage"/>].</summary>
    public static bool Contains(IReadOnlyList<RolloutStage> stages, int stage, int bucket, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(labels);
        if (stage < 0 || stages.Count == 0)
        {
            return false;
        }
        var current = stages[Math.Min(stage, stages.Count - 1)];
        if (stages[0].CanaryLabels is { Count: > 0 } canary && canary.Matches(labels))
        {
            return true; // the canaries stay in as the cohort widens
        }
        return current.Percent is { } percent && bucket < Threshold(percent);
    }

    /// <summary>The first bucket outside a <paramref name="percent"/> cohort (100% is every bucket).</summary>
    public static int Threshold(double percent) => percent >= 100 ? Buckets : (int)Math.Round(percent * Buckets / 100, MidpointRounding.AwayFromZero);
}
