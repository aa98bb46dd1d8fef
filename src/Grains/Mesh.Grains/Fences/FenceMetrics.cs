using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.Grains.Fences;

/// <summary>Lazy xDS learning, on meter <c>Mesh.Grains</c>.</summary>
internal static class FenceMetrics
{
    public static readonly Counter<long> Learned = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_learn", description: "Hosts newly learned by service fences, by source (admin, odcds, accesslog, proxyless).");
    public static readonly Counter<long> Expired = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_expired", description: "Learned hosts removed after two quiet periods without a call (Lazy:QuietPeriod).");
    private static readonly ConcurrentDictionary<string, (int Active, int ExpireWait)> s_hosts = new(StringComparer.Ordinal);

    /// <summary><c>mesh_fence_hosts{state}</c>: learned hosts of the fence grains active on this silo, by Slime status (ACTIVE, EXPIREWAIT).</summary>
    public static readonly ObservableGauge<int> Hosts = GrainMetrics.Meter.CreateObservableGauge(
        "mesh_fence_hosts",
        () => new[]
        {
            new Measurement<int>(s_hosts.Values.Sum(h => h.Active), new KeyValuePair<string, object?>("state", "ACTIVE")),
            new Measurement<int>(s_hosts.Values.Sum(h => h.ExpireWait), new KeyValuePair<string, object?>("state", "EXPIREWAIT")),
        },
        description: "Learned hosts of the service fences held on this silo, by status (ACTIVE; EXPIREWAIT: quiet for one period, removed after the second).");

    /// <summary>The fence grain's current counts (called on every change of its hosts or their status).</summary>
    public static void SetHosts(string fence, int active, int expireWait) => s_hosts[fence] = (active, expireWait);

    /// <summary>The fence grain left this silo.</summary>
    public static void ForgetHosts(string fence) => s_hosts.TryRemove(fence, out _);

    public static readonly Counter<long> Reports = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_reports", description: "Hosts reported to service fences (new or already learned), by source.");
}
