using Mesh.Grains;
using Mesh.Grains.Dtos;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>Proxy status reports: batched per proxy, flushed once the gateway's pushes pause (see <see cref="ProxyReports"/>).</summary>
public sealed partial class GrainConfigWatcher
{
    /// <summary>How often batched sent/ACK/NACK events go to the ProxyGrains (see <see cref="ProxyReports"/>).</summary>
    internal static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>Reports wait until no event was added for this long: the pushes producing them are over.</summary>
    internal static readonly TimeSpan ReportQuiet = TimeSpan.FromMilliseconds(300);

    /// <summary>While pushes never pause, reports still go at least this often.</summary>
    internal static readonly TimeSpan ReportMaxDelay = TimeSpan.FromSeconds(5);

    internal void Report(GrainProxyWatch watch, ProxyEvent e) => _reports.Add(watch.Node.Id, e, watch.Grain);

    /// <summary>Records the connection on the proxy's grain with its next report: never on the path that serves the proxy.</summary>
    private void TellConnected(IProxyGrain proxy, ProxyRegistration registration) => _reports.Connect(registration.NodeId, registration, proxy);

    /// <summary>
    /// One one-way call per node with events since the last flush, once the gateway's pushes have
    /// paused (or <see cref="ReportMaxDelay"/> passed); <paramref name="force"/> on shutdown.
    /// </summary>
    private void FlushReports(bool force = false)
    {
        if (!force && !_reports.IsDue(ReportQuiet, ReportMaxDelay))
        {
            return;
        }
        var batches = _reports.TakeAll();
        foreach (var (nodeId, target, report) in batches)
        {
            try
            {
                _ = (target ?? grains.GetGrain<IProxyGrain>(nodeId)).ReportAsync(report);
            }
            catch (Exception ex) when (ex is OrleansException or InvalidOperationException)
            {
                // The cluster client is gone (shutdown); status reports are best effort.
                LogReportFailed(logger, nodeId, ex);
                return;
            }
        }
        metrics.OnStatusReports(batches.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting sync status of {ProxyId} to its grain failed; status in the grains may lag until the cluster is reachable")]
    private static partial void LogReportFailed(ILogger logger, string proxyId, Exception exception);
}
