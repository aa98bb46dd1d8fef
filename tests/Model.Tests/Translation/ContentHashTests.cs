using System.IO.Hashing;
using System.Text;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>A set's version is the XXH3 of its "name=version\n" lines in name order, whoever computes it and however often.</summary>
public sealed class ContentHashTests
{
    private static readonly KeyValuePair<string, string>[] Pairs = [new("a", "1"), new("b", "2"), new("c", "3")];

    [Fact]
    public void OfVersions_IsTheHashOfTheSortedLines_InAnyInputOrder()
    {
        var expected = Convert.ToHexStringLower(XxHash3.Hash(Encoding.UTF8.GetBytes("a=1\nb=2\nc=3\n")));

        Assert.Equal(expected, ContentHash.OfVersions(Pairs));
        Assert.Equal(expected, ContentHash.OfVersions(Enumerable.Reverse(Pairs)));
        Assert.Equal(expected, ContentHash.OfOrderedVersions(Pairs)); // the same again on this thread: nothing carried over
    }

    [Fact]
    public void AVersionComputedWhileAnotherIsBeingHashed_LeavesBothRight()
    {
        // Versions are often lazy: enumerating one set's (name, version) pairs can hash another set on the same thread.
        var inner = ContentHash.OfOrderedVersions(Pairs);
        var outerExpected = ContentHash.OfOrderedVersions([new("x", inner), new("y", inner)]);

        var nested = ContentHash.OfOrderedVersions(Lazy());

        Assert.Equal(outerExpected, nested);
        Assert.Equal(inner, ContentHash.OfOrderedVersions(Pairs));

        static IEnumerable<KeyValuePair<string, string>> Lazy()
        {
            yield return new("x", ContentHash.OfOrderedVersions(Pairs));
            yield return new("y", ContentHash.OfOrderedVersions(Pairs));
        }
    }

    [Fact]
    public void AnEnumerationThatThrows_DoesNotSpoilTheNextVersion()
    {
        var expected = ContentHash.OfOrderedVersions(Pairs);

        Assert.Throws<InvalidOperationException>(() => ContentHash.OfOrderedVersions(Failing()));

        Assert.Equal(expected, ContentHash.OfOrderedVersions(Pairs));

        static IEnumerable<KeyValuePair<string, string>> Failing()
        {
            yield return new("a", "1");
            throw new InvalidOperationException("enumeration failed");
        }
    }
}
