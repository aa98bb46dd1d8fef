using Mesh.Model.Config.Parsing;

namespace Mesh.Model.Tests.Config.Parsing;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("500ms", 500)]
    [InlineData("1m", 60_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("0.001s", 1)]
    [InlineData("0s", 0)]
    [InlineData("-2s", -2_000)]
    public void TryParse_IstioForms_ReturnsMilliseconds(string text, long milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10x")]
    [InlineData("1.2.3s")]
    [InlineData("ten seconds")]
    public void TryParse_InvalidForms_ReturnsFalse(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }
}
