using Mesh.Grains;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// On-demand CDS: a fenced sidecar (Envoy's <c>on_demand</c> filter with <c>odcds</c> over ADS)
/// subscribing a cluster its fence does not hold teaches the fence that host. The fence grain
/// rebuilds the fence's scope; the new cluster list then serves the name to the stream that asked
/// (and to the other sidecars under the fence).
/// </summary>
public sealed partial class GrainConfigWatcher
{
    /// <summary>At most this many distinct hosts one stream can teach its fence (a flood is counted and dropped).</summary>
    internal const int MaxOnDemandHostsPerStream = 256;

    /// <summary>Learn → push latency of this gateway's learning events (<c>mesh_fence_learn_to_push_seconds</c>).</summary>
    internal LearnToPush LearnToPush => _learnToPush ??= new LearnToPush(metrics);
    private LearnToPush? _learnToPush;

    /// <summary>A fenced stream ACKed clusters: observes the learned hosts the set it was sent now holds.</summary>
    internal void OnFencedClusterAck(GrainProxyWatch watch, System.Collections.Immutable.ImmutableSortedDictionary<string, Model.Translation.XdsResource> acked)
    {
        if (watch.Scope?.FenceKey is not { } fence)
        {
            return;
        }
        LearnToPush.OnClusterAck(fence, watch.Node.Id, acked);
    }

    /// <summary>Sends the hosts of named clusters outside the watch's fenced scope to its fence (once per stream and host).</summary>
    internal void LearnOnDemand(GrainProxyWatch watch)
    {
        if (watch.Scope is not { FenceKey: { } fence, Index: { } index }
            || watch.SubscriptionOf(TypeUrls.Cluster) is not { Names.Count: > 0 } subscription)
        {
            return;
        }
        ClaimAndLearn(watch, fence, "odcds", subscription.Names
            .Where(name => !index.Clusters.Contains(name))
            .Select(name => ResourceNames.TryParseOutbound(name, out _, out _, out var host) && !index.Hosts.Contains(host) ? host : null));
    }

    /// <summary>
    /// Proxyless gRPC: the services a client subscribes listeners of (<c>FQDN:PORT</c>) are recorded
    /// as dependencies under the fence that selects its workload (once per stream and host), so its
    /// graph shows in the fence and its fenced Envoy peers of the same service get them too.
    /// </summary>
    internal void RecordProxylessDependencies(GrainProxyWatch watch)
    {
        if (watch.Node.Kind != ProxyKind.Proxyless
            || watch.Workload.Snapshot is not { DependencyFence: { } fence }
            || watch.SubscriptionOf(TypeUrls.Listener) is not { Names.Count: > 0 } subscription)
        {
            return;
        }
        ClaimAndLearn(watch, fence, "proxyless", subscription.Names.Select(name => ResourceNames.TryParseHostPort(name, out var host, out _) ? host : null));
    }

    /// <summary>Claims each host once per stream (at most <see cref="MaxOnDemandHostsPerStream"/>, the rest counted dropped) and teaches the new ones to the fence.</summary>
    private void ClaimAndLearn(GrainProxyWatch watch, string fence, string source, IEnumerable<string?> candidates)
    {
        var hosts = new List<string>();
        foreach (var host in candidates.OfType<string>())
        {
            switch (watch.TryClaimOnDemand(host, MaxOnDemandHostsPerStream))
            {
                case true:
                    hosts.Add(host);
                    break;
                case null:
                    metrics.OnOnDemandClusters("dropped", 1);
                    break;
            }
        }
        if (hosts.Count > 0)
        {
            LearnToPush.Learning(fence, hosts, source, System.Diagnostics.Stopwatch.GetTimestamp());
            _ = LearnAsync(fence, hosts, watch.Node.Id, source);
        }
    }

    private async Task LearnAsync(string fence, List<string> hosts, string nodeId, string source)
    {
        try
        {
            var added = await grains.GetGrain<IServiceFenceGrain>(fence).LearnAsync([.. hosts], source).ConfigureAwait(false);
            LearnToPush.Known(fence, hosts.Except(added, StringComparer.Ordinal));
            metrics.OnOnDemandClusters(source == "odcds" ? "learned" : "recorded", hosts.Count);
            foreach (var host in hosts)
            {
                LogOnDemand(logger, nodeId, fence, host);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.OnOnDemandClusters("failed", hosts.Count);
            LogOnDemandFailed(logger, nodeId, fence, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {Node} subscribed a cluster outside fence {Fence}: learned {Host}")]
    private static partial void LogOnDemand(ILogger logger, string node, string fence, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {Node}: fence {Fence} could not learn its on-demand clusters; a later subscription retries")]
    private static partial void LogOnDemandFailed(ILogger logger, string node, string fence, Exception exception);
}
