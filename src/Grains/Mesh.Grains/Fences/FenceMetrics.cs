using System.Diagnostics.Metrics;

namespace Mesh.Grains.Fences;

/// <summary>Lazy xDS learning, on meter <c>Mesh.Grains</c>.</summary>
internal static class FenceMetrics
{
    public static readonly Counter<long> Learned = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_learn", description: "Hosts newly learned by service fences, by source (admin, odcds, accesslog, proxyless).");
    public static readonly Counter<long> Expired = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_expired", description: "Learned hosts removed after two quiet periods without a call (Lazy:QuietPeriod).");
    public static readonly Counter<long> Reports = GrainMetrics.Meter.CreateCounter<long>("mesh_fence_reports", description: "Hosts reported to service fences (new or already learned), by source.");
}
