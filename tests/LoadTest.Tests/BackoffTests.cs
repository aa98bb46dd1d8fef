using Mesh.LoadTest.Proxies;

namespace Mesh.LoadTest.Tests;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 50, 100)]
    [InlineData(2, 100, 200)]
    [InlineData(4, 400, 800)]
    [InlineData(5, 800, 1600)]
    [InlineData(6, 1000, 2000)]
    [InlineData(40, 1000, 2000)]
    public void Delay_DoublesFromBase_WithJitterInUpperHalf_CappedAtMax(int attempt, double minMs, double maxMs)
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var d = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), random).TotalMilliseconds;
            Assert.InRange(d, minMs, maxMs);
        }
    }
}
