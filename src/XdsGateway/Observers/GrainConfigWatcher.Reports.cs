using Mesh.Grains;
using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>Proxy status reports: batched per proxy, flushed once the gateway's pushes pause, one call per status shard (see <see cref="ProxyReports"/>).</summary>
public sealed partial class GrainConfigWatcher
{
    /// <summary>How often batched sent/ACK/NACK events go to the status shards (see <see cref="ProxyReports"/>).</summary>
    internal static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>Reports wait until no event was added for this long: the pushes producing them are over.</summary>
    internal static readonly TimeSpan ReportQuiet = TimeSpan.FromMilliseconds(300);

    /// <summary>While pushes never pause, reports still go at least this often.</summary>
    internal static readonly TimeSpan ReportMaxDelay = TimeSpan.FromSeconds(5);

    internal void Report(GrainProxyWatch watch, ProxyEvent e) => _reports.Add(watch.Node.Id, e);

    /// <summary>Records the connection with the node's next report: never on the path that serves the proxy.</summary>
    private void TellConnected(ProxyRegistration registration) => _reports.Connect(registration.NodeId, registration);

    /// <summary>
    /// One one-way call per status shard holding nodes with events since the last flush, once the
    /// gateway's pushes have paused (or <see cref="ReportMaxDelay"/> passed); <paramref name="force"/> on shutdown.
    /// </summary>
    private void FlushReports(bool force = false)
    {
        if (!force && !_reports.IsDue(ReportQuiet, ReportMaxDelay))
        {
            return;
        }
        var reports = _reports.TakeAll();
        var shards = reports.GroupBy(r => ProxyStatusShards.Of(r.NodeId)).ToList();
        foreach (var batch in shards)
        {
            try
            {
                _ = grains.GetGrain<IProxyStatusGrain>(batch.Key).ReportAsync([.. batch]);
            }
            catch (Exception ex) when (ex is OrleansException or InvalidOperationException)
            {
                // The cluster client is gone (shutdown); status reports are best effort.
                LogReportFailed(logger, batch.Key, ex);
                return;
            }
        }
        metrics.OnStatusReports(reports.Count, shards.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting sync status to status shard {Shard} failed; status in the grains may lag until the cluster is reachable")]
    private static partial void LogReportFailed(ILogger logger, int shard, Exception exception);
}
