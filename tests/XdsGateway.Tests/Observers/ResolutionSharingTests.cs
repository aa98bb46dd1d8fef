using System.Collections.Immutable;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Observers;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Tests.Observers;

[Trait("Category", "BVT")]
public class ResolutionSharingTests
{
    private static XdsResource Cla(string name, string version) => new(TypeUrls.Endpoint, name, version, new byte[] { 1, 2, 3 });

    private static ResolvedResources Set(bool complete, params XdsResource[] resources) =>
        new(complete, resources.ToImmutableSortedDictionary(r => r.Name, r => r, StringComparer.Ordinal));

    [Fact]
    public void Intern_EqualSets_ShareOneInstance()
    {
        var interner = new ResolutionInterner();
        var first = interner.Intern(TypeUrls.Endpoint, Set(true, Cla("a", "1"), Cla("b", "1")));

        var second = interner.Intern(TypeUrls.Endpoint, Set(true, Cla("b", "1"), Cla("a", "1")));

        Assert.Same(first, second);
    }

    [Fact]
    public void Intern_SetsDifferingInAVersionCompletenessOrType_StayApart()
    {
        var interner = new ResolutionInterner();
        var baseline = interner.Intern(TypeUrls.Endpoint, Set(true, Cla("a", "1")));

        Assert.NotSame(baseline, interner.Intern(TypeUrls.Endpoint, Set(true, Cla("a", "2"))));
        Assert.NotSame(baseline, interner.Intern(TypeUrls.Endpoint, Set(false, Cla("a", "1"))));
        Assert.NotSame(baseline, interner.Intern(TypeUrls.Route, Set(true, Cla("a", "1"))));
    }

    [Fact]
    public void Intern_SetsNoStreamHolds_AreSweptAsTheTableGrows()
    {
        var interner = new ResolutionInterner();
        var kept = interner.Intern(TypeUrls.Endpoint, Set(true, Cla("kept", "1")));
        AddGarbage(interner, 1000, "old");
        GC.Collect();
        GC.WaitForPendingFinalizers();

        AddGarbage(interner, 2000, "new");

        // Growing past its sweep threshold, each stripe of the table drops the 1,000 sets nothing holds
        // any more (without a sweep it would hold all 3,001).
        Assert.True(interner.Count < 2600, $"expected the table to be swept; it holds {interner.Count} entries");
        Assert.Same(kept, interner.Intern(TypeUrls.Endpoint, Set(true, Cla("kept", "1"))));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AddGarbage(ResolutionInterner interner, int count, string prefix)
    {
        for (var i = 0; i < count; i++)
        {
            interner.Intern(TypeUrls.Endpoint, Set(true, Cla(prefix + i, "1")));
        }
    }

    private static ResolutionCache.Key RdsKey(params string[] names) =>
        ResolutionCache.Key.Of(TypeUrls.Route, new Subscription(false, NameSets.Of(names)), null, RolloutCohort.None);

    [Fact]
    public async Task Join_PeersOfTheFirstAwaitItsResult_WithoutResolvingThemselves()
    {
        var cache = new ResolutionCache();
        var key = RdsKey("80");
        var generation = cache.Generation(TypeUrls.Route);

        Assert.True(cache.Join(key, generation, out var leaderFlight));
        Assert.False(cache.Join(key, generation, out var peer1));
        Assert.False(cache.Join(key, generation, out var peer2));
        Assert.False(peer1.IsCompleted);

        var resolved = Set(true, Cla("80", "1"));
        cache.Store(key, generation, resolved);
        cache.Land(key, generation, resolved);

        Assert.Same(resolved, await peer1);
        Assert.Same(resolved, await peer2);
        Assert.Same(resolved, await leaderFlight);
        Assert.True(cache.TryGet(key, out var stored));
        Assert.Same(resolved, stored);
    }

    [Fact]
    public void Join_AfterALanding_OrForANewGenerationOrAnotherSubscription_LeadsAgain()
    {
        var cache = new ResolutionCache();
        var key = RdsKey("80");
        var generation = cache.Generation(TypeUrls.Route);
        Assert.True(cache.Join(key, generation, out _));
        // Another subscription (another name set) is another flight.
        Assert.True(cache.Join(RdsKey("80", "8080"), generation, out _));

        // A change lands while the first resolves: peers joining now must not take the older set.
        cache.Invalidate(ResolutionCache.Bit(TypeUrls.Route));
        Assert.True(cache.Join(key, cache.Generation(TypeUrls.Route), out _));

        cache.Land(key, generation, Set(true, Cla("80", "1")));
        Assert.True(cache.Join(key, generation, out var again));
        Assert.False(again.IsCompleted);
    }

    [Fact]
    public async Task Land_WithAnError_FailsThePeersWaiting()
    {
        var cache = new ResolutionCache();
        var key = RdsKey("80");
        Assert.True(cache.Join(key, 0, out _));
        Assert.False(cache.Join(key, 0, out var peer));

        cache.Land(key, 0, null, new InvalidOperationException("index gone"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => peer);
        Assert.Equal("index gone", error.Message);
    }

    [Fact]
    public void ChangedSince_ListsNewAndChangedNames_AndIsComputedOncePerPreviousSet()
    {
        var before = Set(true, Cla("a", "1"), Cla("b", "1"), Cla("gone", "1"));
        var after = Set(true, Cla("a", "1"), Cla("b", "2"), Cla("new", "1"));

        var changed = after.ChangedSince(before);

        Assert.Equal(["b", "new"], changed.Select(r => r.Name));
        Assert.Same(changed, after.ChangedSince(before));
        Assert.Equal(["a", "b", "new"], after.ChangedSince(null).Select(r => r.Name));
    }

    [Fact]
    public void RemovedSince_ListsVanishedNamesInOrdinalOrder_AndIsComputedOncePerPreviousSet()
    {
        var before = Set(true, Cla("b", "1"), Cla("a", "1"), Cla("C", "1"), Cla("keep", "1"));
        var after = Set(true, Cla("keep", "2"), Cla("new", "1"));

        var removed = after.RemovedSince(before);

        Assert.Equal(["C", "a", "b"], removed.ToArray());
        Assert.Equal(removed.ToArray(), after.RemovedSince(before).ToArray());
        Assert.Empty(after.RemovedSince(after));
        Assert.Equal(["new"], before.RemovedSince(after).ToArray());
    }

    [Fact]
    public void Version_IsTheContentHashOfNamesAndVersions()
    {
        var set = Set(true, Cla("b", "2"), Cla("a", "1"));

        Assert.Equal(ContentHash.OfVersions([KeyValuePair.Create("a", "1"), KeyValuePair.Create("b", "2")]), set.Version);
        Assert.NotEqual(set.Version, Set(true, Cla("a", "1"), Cla("b", "3")).Version);
    }
}
