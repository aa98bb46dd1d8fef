using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Mesh.Model.Config;

namespace Mesh.Model.Fences;

/// <summary>One host of a fence's status: Slime's <c>Destinations</c>.</summary>
public sealed record FenceDomain(string Host, LearnedStatus Status);

/// <summary>
/// A ServiceFence's <c>status</c> as Slime writes it: <c>domains</c>, a map from each host to
/// <c>{hosts: [host], status: ACTIVE | EXPIREWAIT | EXPIRE}</c>. The spec's hosts are there with
/// their strategy's status (a passed deadline is <c>EXPIRE</c>), then the learned ones (a learned
/// host is removed once expired, so it shows <c>ACTIVE</c> or <c>EXPIREWAIT</c>). No last-call
/// time: it moves with every call, and the status is written when a status changes, not per call
/// (<c>/debug/fencez</c> shows first and last seen).
/// </summary>
public static class FenceStatus
{
    public static ImmutableArray<FenceDomain> Domains(ServiceFence? fence, IEnumerable<(string Host, DateTimeOffset LastSeen)> learned, DateTimeOffset now, TimeSpan quietPeriod)
    {
        ArgumentNullException.ThrowIfNull(learned);
        var domains = new SortedDictionary<string, FenceDomain>(StringComparer.Ordinal);
        foreach (var (host, policy) in fence?.Hosts ?? ImmutableSortedDictionary<string, FenceHostPolicy>.Empty)
        {
            domains[host] = new FenceDomain(host, SpecStatus(policy, now, quietPeriod));
        }
        foreach (var (host, lastSeen) in learned)
        {
            // A host both in the spec and learned: the spec's strategy rules it (it is served by it).
            domains.TryAdd(host, new FenceDomain(host, FenceExpiry.StatusOf(lastSeen, now, quietPeriod)));
        }
        return [.. domains.Values];
    }

    private static LearnedStatus SpecStatus(FenceHostPolicy policy, DateTimeOffset now, TimeSpan quietPeriod) => policy.Recycling switch
    {
        FenceRecycling.Deadline => FencePolicy.Live(policy, now) ? LearnedStatus.Active : LearnedStatus.Expire,
        FenceRecycling.RecentlyCalled when policy.LastCalled is { } last => FenceExpiry.StatusOf(last, now, quietPeriod),
        FenceRecycling.Auto when policy.LastCalled is { } last && policy.Duration is { } d => now - last < d ? LearnedStatus.Active : LearnedStatus.Expire,
        _ => LearnedStatus.Active,
    };

    /// <summary>Slime's spelling of a status.</summary>
    public static string Name(LearnedStatus status) => status switch
    {
        LearnedStatus.Active => "ACTIVE",
        LearnedStatus.ExpireWait => "EXPIREWAIT",
        _ => "EXPIRE",
    };

    /// <summary>The <c>status</c> object: <c>{"domains": {HOST: {"hosts": [HOST], "status": …}}}</c>.</summary>
    public static JsonObject ToJson(ImmutableArray<FenceDomain> domains)
    {
        var map = new JsonObject();
        foreach (var d in domains)
        {
            map[d.Host] = new JsonObject
            {
                ["hosts"] = new JsonArray(JsonValue.Create(d.Host)),
                ["status"] = Name(d.Status),
            };
        }
        return new JsonObject { ["domains"] = map };
    }
}
