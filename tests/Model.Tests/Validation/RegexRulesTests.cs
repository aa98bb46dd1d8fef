using Mesh.Model.Validation;

namespace Mesh.Model.Tests.Validation;

public sealed class RegexRulesTests
{
    [Theory]
    [InlineData("^/reviews/[0-9]+$")]
    [InlineData("(?i)jason")]
    [InlineData("[\\]1]")]
    [InlineData("\\\\1")]
    [InlineData("(?P<id>[a-z]+)")]
    public void Re2_SupportedPattern_ReturnsNull(string pattern)
    {
        Assert.Null(RegexRules.Re2(pattern));
    }

    [Theory]
    [InlineData("foo(?=bar)", "a lookahead '(?='")]
    [InlineData("foo(?!bar)", "a lookahead '(?!'")]
    [InlineData("(?<=foo)bar", "a lookbehind '(?<='")]
    [InlineData("(?<!foo)bar", "a lookbehind '(?<!'")]
    [InlineData("(a)\\1", "a backreference '\\1'")]
    [InlineData("(?>a+)b", "an atomic group '(?>'")]
    public void Re2_UnsupportedConstruct_NamesConstructAndRe2(string pattern, string construct)
    {
        Assert.Equal($"regex '{pattern}' uses {construct}, which RE2 (Envoy's regex engine) does not support", RegexRules.Re2(pattern));
    }
}
