namespace Mesh.LoadTest.Proxies;

/// <summary>Exponential reconnect backoff with equal jitter, as gRPC's connection backoff (A6) and Envoy's.</summary>
public static class Backoff
{
    /// <summary>
    /// Delay before attempt <paramref name="attempt"/> (1-based): the cap is
    /// min(<paramref name="max"/>, <paramref name="baseDelay"/> × 2^(attempt−1)) and the delay is
    /// uniform in [cap/2, cap].
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan max, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        ArgumentNullException.ThrowIfNull(random);
        var exponent = Math.Min(attempt - 1, 30);
        var cap = Math.Min(max.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds((cap / 2) + (random.NextDouble() * cap / 2));
    }
}
