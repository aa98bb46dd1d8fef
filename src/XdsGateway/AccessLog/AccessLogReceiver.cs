using System.Collections.Concurrent;
using Envoy.Service.Accesslog.V3;
using Grpc.Core;
using Mesh.Grains;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.AccessLog;

/// <summary>
/// Envoy's <c>AccessLogService</c> on the xDS port, for the lazy egress: every request a fenced
/// sidecar sent to the fallback is logged back here, and its fence learns the host it called.
/// Reports are deduplicated (a host is reported to its fence at most once per
/// <see cref="RefreshEvery"/>, which keeps it ACTIVE), batched per fence, and bounded in memory;
/// a malformed entry is counted under its reason (<c>mesh_fence_fallback_reports_total</c>) and skipped;
/// a fence reporting new hosts faster than its budget (<see cref="ReportsPerSecond"/>, burst
/// <see cref="ReportBurst"/>) has the excess counted <c>rate-limited</c> and dropped (its next call reports it again).
/// </summary>
public sealed partial class AccessLogReceiver(
    IGrainFactory grains, MeshSettings settings, XdsMetrics metrics, Observers.GrainConfigWatcher watcher, ILogger<AccessLogReceiver> logger) : AccessLogService.AccessLogServiceBase
{
    /// <summary>New reports (not repeats) one fence may send per second, sustained; a burst may spend <see cref="ReportBurst"/> at once. Past it: counted <c>rate-limited</c> and dropped.</summary>
    internal const double ReportsPerSecond = 50;

    /// <summary>The burst a fence's report budget holds.</summary>
    internal const double ReportBurst = 200;

    private readonly ConcurrentDictionary<string, (double Tokens, long At)> _budgets = new(StringComparer.Ordinal);

    /// <summary>At most this many (fence, host) pairs are remembered for deduplication; past it the memory starts over.</summary>
    internal const int MaxRemembered = 100_000;

    private readonly ConcurrentDictionary<(string Fence, string Host), long> _reported = new();

    /// <summary>How often one (fence, host) is reported again while it keeps being called.</summary>
    public TimeSpan RefreshEvery => settings.LazyQuietPeriod / 4;

    /// <summary>At most this many fence learns in flight per access-log stream; the stream reads on when one ends.</summary>
    internal const int MaxLearnsInFlight = 64;

    public override async Task<StreamAccessLogsResponse> StreamAccessLogs(IAsyncStreamReader<StreamAccessLogsMessage> requestStream, ServerCallContext context)
    {
        using var inFlight = new SemaphoreSlim(MaxLearnsInFlight);
        var learning = new List<Task>();
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        string? callerNamespace = null;
        var egressNamespace = settings.LazyEgress.Split('.') is { Length: > 1 } parts ? parts[1] : "";
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (callerNamespace is null)
            {
                // Envoy identifies the stream in its first message only.
                ProxyNode caller;
                try
                {
                    caller = NodeIdParser.Parse(message.Identifier?.Node);
                }
                catch (RpcException ex)
                {
                    metrics.OnFallbackReports("unknown-peer", 1);
                    LogUnknownPeer(logger, message.Identifier?.Node?.Id ?? "(none)");
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "access log stream: identifier.node: " + ex.Status.Detail));
                }
                callerNamespace = caller.Namespace;
            }
            if (message.HttpLogs is not { } http)
            {
                continue; // TCP logs carry no authority: nothing to learn
            }
            var batch = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var now = Environment.TickCount64;
            var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var entry in http.LogEntry)
            {
                string? source = null;
                entry.Request?.RequestHeaders.TryGetValue(ListenerBuilder.LazySourceHeader, out source);
                var (fence, host, skip) = FallbackReport.Read(source, entry.Request?.Authority, callerNamespace, egressNamespace, settings.DomainSuffix);
                if (skip is not null)
                {
                    metrics.OnFallbackReports(skip, 1);
                    continue;
                }
                if (_reported.TryGetValue((fence!, host!), out var at) && now - at < (long)RefreshEvery.TotalMilliseconds)
                {
                    metrics.OnFallbackReports("repeat", 1);
                    continue;
                }
                if (!Spend(fence!, now))
                {
                    metrics.OnFallbackReports("rate-limited", 1);
                    LogRateLimited(logger, fence!, host!);
                    continue;
                }
                if (_reported.Count >= MaxRemembered)
                {
                    _reported.Clear();
                }
                _reported[(fence!, host!)] = now;
                metrics.OnFallbackReports("reported", 1);
                if (!batch.TryGetValue(fence!, out var hosts))
                {
                    batch[fence!] = hosts = [];
                }
                hosts.Add(host!);
            }
            foreach (var (fence, hosts) in batch)
            {
                // Fences learn concurrently: one egress stream carries every fence's reports, and a
                // learn waits on a state write; in order, each would queue behind the others'.
                await inFlight.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                learning.Add(LearnAsync(fence, hosts, arrived, inFlight));
            }
            learning.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(learning).ConfigureAwait(false);
        return new StreamAccessLogsResponse();
    }

    private async Task LearnAsync(string fence, List<string> hosts, long arrived, SemaphoreSlim inFlight)
    {
        try
        {
            watcher.LearnToPush.Learning(fence, hosts, "accesslog", arrived);
            var added = await grains.GetGrain<IServiceFenceGrain>(fence).LearnAsync([.. hosts], "accesslog").ConfigureAwait(false);
            watcher.LearnToPush.Known(fence, hosts.Except(added, StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Forget them, so the next call's log reports them again.
            foreach (var host in hosts)
            {
                _reported.TryRemove((fence, host), out _);
            }
            LogLearnFailed(logger, fence, ex);
        }
        finally
        {
            inFlight.Release();
        }
    }

    /// <summary>Takes one report from the fence's budget (a token bucket refilled at <see cref="ReportsPerSecond"/>); false when it is spent.</summary>
    private bool Spend(string fence, long nowMs)
    {
        if (_budgets.Count >= MaxRemembered)
        {
            _budgets.Clear();
        }
        var spent = false;
        _budgets.AddOrUpdate(
            fence,
            _ =>
            {
                spent = true;
                return (ReportBurst - 1, nowMs);
            },
            (_, b) =>
            {
                var tokens = Math.Min(ReportBurst, b.Tokens + ((nowMs - b.At) / 1000.0 * ReportsPerSecond));
                spent = tokens >= 1;
                return (spent ? tokens - 1 : tokens, nowMs);
            });
        return spent;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fence {Fence}: report of {Host} dropped, over its rate limit")]
    private static partial void LogRateLimited(ILogger logger, string fence, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Access log stream from {Node} refused: not a Mesh node id")]
    private static partial void LogUnknownPeer(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fence {Fence} could not learn from the egress's access log; the next call retries")]
    private static partial void LogLearnFailed(ILogger logger, string fence, Exception exception);
}
