using System.Collections.Immutable;
using System.Globalization;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Reads Slime's <c>ServiceFence</c> as Slime writes it: <c>spec.host</c> maps a host to its
/// recycling strategy (<c>stable</c>, <c>deadline.expire</c>, <c>auto.duration</c>,
/// <c>RecentlyCalled</c>), with Slime's <c>{seconds, nanos}</c> timestamps (RFC 3339 strings are
/// accepted too).
/// </summary>
internal static class ServiceFenceReader
{
    public static ServiceFence Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        var hosts = ImmutableSortedDictionary.CreateBuilder<string, FenceHostPolicy>(StringComparer.Ordinal);
        foreach (var (host, strategy) in spec.Field("host").Entries())
        {
            if (hosts.ContainsKey(host))
            {
                strategy.Error($"host '{host}' is listed twice");
                continue;
            }
            hosts[host] = ReadStrategy(strategy);
        }
        var workload = spec.Field("workloadSelector");
        return new ServiceFence(
            meta,
            root.Field("apiVersion").String() ?? "",
            spec.Field("enable").Bool() ?? false,
            hosts.ToImmutable(),
            spec.Field("namespaceSelector").Strings(),
            [.. spec.Field("labelSelector").Items().Select(s => s.Field("selector").StringMap())],
            workload.Exists
                ? new FenceWorkloadSelector(workload.Field("fromService").Bool() ?? false, workload.Field("labels").StringMap())
                : null);
    }

    private static FenceHostPolicy ReadStrategy(YamlCursor strategy)
    {
        if (!strategy.Exists || strategy.Node is YamlDotNet.RepresentationModel.YamlScalarNode)
        {
            return new FenceHostPolicy(FenceRecycling.Unspecified); // `host: {}` or `host:` alone
        }
        var given = new List<FenceHostPolicy>();
        if (strategy.HasKey("stable"))
        {
            given.Add(FenceHostPolicy.Static);
        }
        if (strategy.HasKey("deadline") && strategy.Field("deadline") is var deadline)
        {
            given.Add(new FenceHostPolicy(FenceRecycling.Deadline, Expire: ReadTime(deadline.Field("expire"))));
        }
        if (strategy.HasKey("auto") && strategy.Field("auto") is var auto)
        {
            var duration = ReadTime(auto.Field("duration"), asDuration: true);
            given.Add(new FenceHostPolicy(FenceRecycling.Auto, Duration: duration is { } d ? d - DateTimeOffset.UnixEpoch : null));
        }
        var recentKey = strategy.HasKey("RecentlyCalled") ? "RecentlyCalled" : strategy.HasKey("recentlyCalled") ? "recentlyCalled" : null;
        if (recentKey is not null && strategy.Field(recentKey) is var recent)
        {
            given.Add(new FenceHostPolicy(FenceRecycling.RecentlyCalled, LastCalled: ReadTime(recent, optional: true)));
        }
        if (given.Count > 1)
        {
            strategy.Error("give at most one of stable, deadline, auto and RecentlyCalled");
        }
        return given.Count == 0 ? new FenceHostPolicy(FenceRecycling.Unspecified) : given[0];
    }

    /// <summary>Slime's Timestamp (<c>{seconds, nanos}</c>) or an RFC 3339 string; null (with an error unless optional) when missing or malformed.</summary>
    private static DateTimeOffset? ReadTime(YamlCursor value, bool optional = false, bool asDuration = false)
    {
        if (!value.Exists || value.Node is YamlDotNet.RepresentationModel.YamlScalarNode { Value: null or "" })
        {
            if (!optional)
            {
                value.Error(asDuration ? "a duration ({seconds: N}) is required" : "a time ({seconds: N, nanos: N} or RFC 3339) is required");
            }
            return null;
        }
        if (value.Node is YamlDotNet.RepresentationModel.YamlScalarNode)
        {
            var text = value.String();
            if (text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return parsed;
            }
            value.Error($"expected {{seconds: N, nanos: N}} or an RFC 3339 time, got '{text}'");
            return null;
        }
        var seconds = ReadLong(value.Field("seconds"));
        var nanos = value.Field("nanos").Int() ?? 0;
        if (nanos is < 0 or > 999_999_999)
        {
            value.Field("nanos").Error($"nanos must be 0 to 999999999, got {nanos}");
            return null;
        }
        if (seconds is null)
        {
            if (!optional)
            {
                value.Field("seconds").Error("seconds is required");
            }
            return null;
        }
        if (seconds is < -62_135_596_800 or > 253_402_300_799)
        {
            value.Field("seconds").Error($"seconds {seconds} is outside 0001-01-01 to 9999-12-31");
            return null;
        }
        return DateTimeOffset.UnixEpoch.AddSeconds(seconds.Value).AddTicks(nanos / 100);
    }

    private static long? ReadLong(YamlCursor value)
    {
        var text = value.String();
        if (text is null)
        {
            return null;
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }
        value.Error($"expected an integer, got '{text}'");
        return null;
    }
}
