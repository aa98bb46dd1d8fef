using Mesh.LoadTest;

namespace Mesh.LoadTest.Tests;

/// <summary><c>lazy-size</c>: a fenced sidecar is built its fence, not the mesh; the report says so, and the exit code follows the 1% target.</summary>
public sealed class LazySizeTests
{
    [Fact]
    public void LazySidecar_HoldsItsCallsAndTheEgress_FullModeEverything()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-lazy-size-").FullName;
        try
        {
            var exit = LazySize.Run(services: 2000, endpoints: 4, calls: 5, dir);

            Assert.Equal(0, exit); // 2,000 services: lazy is under 1% of full
            var report = File.ReadAllText(Directory.GetFiles(dir, "*.md").Single());
            Assert.Contains("| clusters | 2,003 | 8 |", report, StringComparison.Ordinal); // 2,000 + egress + passthrough + blackhole; 5 + egress + the two
            Assert.Contains("| endpoints | 8,002 | 22 |", report, StringComparison.Ordinal); // 5 × 4 + the egress's 2

            // A mesh of a handful of services: lazy mode cannot be 1% of it, and the exit code says so.
            Assert.Equal(1, LazySize.Run(services: 8, endpoints: 4, calls: 5, dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
