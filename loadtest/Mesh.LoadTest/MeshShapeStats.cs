namespace Mesh.LoadTest;

/// <summary>
/// The namespaced mesh after connect: its size, the silo's scope grains
/// (<c>mesh_grain_activations{kind="scope"}</c>) and its live heap after a full GC, over the scope
/// count as is and as growth since before the first proxy connected (cluster target only; in process
/// the heap would include the proxies). Null values print as "n/a".
/// </summary>
internal sealed record MeshShapeStats(
    int Namespaces,
    int ServicesPerNamespace,
    int SharedServices,
    int Workloads,
    int ProxiesPerWorkload,
    double? Scopes,
    double? SiloLiveHeapMb,
    double? SiloKbPerScope,
    double? SiloHeapGrowthMb,
    double? SiloGrowthKbPerScope)
{
    public static async Task<MeshShapeStats> MeasureAsync(Session session, IReadOnlyList<ProcessSample> connected, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var scopes = SiloMetrics.Value(connected, SiloMetrics.Scopes);
        double? heap = null, growth = null;
        if (await session.Target!.CollectSiloGarbageAsync(cancellationToken).ConfigureAwait(false))
        {
            var live = await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false);
            heap = SiloMetrics.Value(live, SiloMetrics.HeapAfterGc) / 1048576.0;
            growth = heap - (SiloMetrics.Value(session.IdleSamples, SiloMetrics.HeapAfterGc) / 1048576.0);
        }
        double? PerScope(double? mb) => mb is { } m && scopes is > 0 ? Math.Round(m * 1024 / scopes.Value, 1) : null;
        double? Round(double? mb) => mb is { } m ? Math.Round(m, 1) : null;
        return new MeshShapeStats(o.Namespaces!.Value, o.ServicesPerNamespace, o.SharedServices, o.Namespaces.Value * o.WorkloadsPerNamespace,
            o.ProxiesPerWorkload, scopes, Round(heap), PerScope(heap), Round(growth), PerScope(growth));
    }
}

/// <summary>Streams that ended with an error (or without a response) during a phase, the reconnects that followed, and the proxies that had either.</summary>
internal sealed record StreamResets(long FailedStreams, long Reconnects, int Proxies)
{
    public static StreamResets Of(IEnumerable<Proxies.ProxyCounters> counters)
    {
        long failed = 0, reconnects = 0;
        var proxies = 0;
        foreach (var c in counters)
        {
            failed += c.StreamFailures;
            reconnects += c.Reconnects;
            proxies += c.StreamFailures > 0 || c.Reconnects > 0 ? 1 : 0;
        }
        return new StreamResets(failed, reconnects, proxies);
    }

    public override string ToString() => $"{FailedStreams} failed streams, {Reconnects} reconnects, at {Proxies} proxies";
}
