using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;

namespace Mesh.Model.Tests.Rollouts;

public sealed class CohortTests
{
    private static readonly ImmutableSortedDictionary<string, string> NoLabels = ImmutableSortedDictionary<string, string>.Empty;

    private static ImmutableArray<RolloutStage> Percentages(params double[] percents) => [.. percents.Select(p => new RolloutStage(p, null, null))];

    [Fact]
    public void Bucket_IsStable_AndSpread()
    {
        Assert.Equal(Cohort.BucketOf("sidecar~10.0.0.1~reviews-v1-abc.bookinfo~bookinfo.svc.cluster.local"), Cohort.BucketOf("sidecar~10.0.0.1~reviews-v1-abc.bookinfo~bookinfo.svc.cluster.local"));
        var buckets = Enumerable.Range(0, 20_000).Select(i => Cohort.BucketOf($"sidecar~10.1.{i / 250}.{i % 250}~app-{i}.ns-{i % 100}~ns-{i % 100}.svc.cluster.local")).ToList();
        Assert.All(buckets, b => Assert.InRange(b, 0, Cohort.Buckets - 1));
        // 1% of 20,000 proxies is 200; a fair hash lands within a few standard deviations (sqrt(198) ≈ 14).
        var onePercent = buckets.Count(b => b < Cohort.Threshold(1));
        Assert.InRange(onePercent, 140, 260);
        var half = buckets.Count(b => b < Cohort.Threshold(50));
        Assert.InRange(half, 9_600, 10_400);
    }

    [Fact]
    public void LongNodeIds_HashLikeShortOnes()
    {
        var id = "sidecar~10.0.0.1~" + new string('a', 600) + ".ns~ns.svc.cluster.local";
        Assert.Equal(Cohort.BucketOf(id), Cohort.BucketOf(new string(id.ToCharArray())));
    }

    [Fact]
    public void WiderStages_ContainTheNarrowerOnes()
    {
        var stages = Percentages(1, 10, 50, 100);
        for (var bucket = 0; bucket < Cohort.Buckets; bucket += 7)
        {
            var member = Enumerable.Range(0, 4).Select(s => Cohort.Contains(stages, s, bucket, NoLabels)).ToArray();
            for (var s = 1; s < 4; s++)
            {
                Assert.True(!member[s - 1] || member[s], $"bucket {bucket} left the cohort at stage {s}");
            }
            Assert.True(member[3]);
        }
        Assert.True(Cohort.Contains(stages, 0, 99, NoLabels));
        Assert.False(Cohort.Contains(stages, 0, 100, NoLabels));
        Assert.False(Cohort.Contains(stages, -1, 0, NoLabels));
    }

    [Fact]
    public void CanaryLabels_SelectTheFirstStage_AndStayIn()
    {
        var stages = ImmutableArray.Create(
            new RolloutStage(null, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("canary", "true")]), null),
            new RolloutStage(10, null, null),
            new RolloutStage(100, null, null));
        var canary = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("canary", "true"), KeyValuePair.Create("app", "x")]);
        Assert.True(Cohort.Contains(stages, 0, 9_999, canary));
        Assert.False(Cohort.Contains(stages, 0, 0, NoLabels)); // bucket 0 is not a canary label
        Assert.True(Cohort.Contains(stages, 1, 9_999, canary));
        Assert.True(Cohort.Contains(stages, 1, 999, NoLabels));
        Assert.False(Cohort.Contains(stages, 1, 1_000, NoLabels));
    }
}
