using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// What a cluster's locality-aware load balancing does to its endpoints, relative to the proxy
/// that receives them: <see cref="Distribute"/> (a proxy in a <c>from</c> locality sends each
/// percentage to the <c>to</c> localities; the rest get nothing) or failover priorities (0: the
/// proxy's sub-zone, 1: its zone, 2: its region, then the region its <see cref="Failover"/> names,
/// then the others). A load assignment carries its plan (<see cref="XdsResource.LocalityLb"/>) and
/// each gateway applies it for each proxy locality (<see cref="LocalityLoadBalancing.Adapt"/>), as istiod builds EDS per proxy.
/// </summary>
public sealed record LocalityLbPlan(ImmutableArray<LocalityDistribute> Distribute, ImmutableArray<LocalityFailover> Failover)
{
    /// <summary>Whether the cluster must weigh localities (Envoy's <c>locality_weighted_lb_config</c>), as Istio sets it.</summary>
    public bool WeightsLocalities => !Distribute.IsEmpty || !Failover.IsEmpty;

    /// <summary>A canonical text form (the same plan always encodes the same), carried with the resource across grains.</summary>
    public string Encode()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("distribute");
            foreach (var d in Distribute)
            {
                json.WriteStartObject();
                json.WriteString("from", d.From);
                json.WriteStartObject("to");
                foreach (var (to, weight) in d.To)
                {
                    json.WriteNumber(to, weight);
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("failover");
            foreach (var f in Failover)
            {
                json.WriteStartObject();
                json.WriteString("from", f.From);
                json.WriteString("to", f.To);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static LocalityLbPlan Decode(string text)
    {
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        return new LocalityLbPlan(
            [.. root.GetProperty("distribute").EnumerateArray().Select(d => new LocalityDistribute(
                d.GetProperty("from").GetString()!,
                d.GetProperty("to").EnumerateObject().ToImmutableSortedDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal)))],
            [.. root.GetProperty("failover").EnumerateArray().Select(f => new LocalityFailover(f.GetProperty("from").GetString()!, f.GetProperty("to").GetString()!))]);
    }
}

/// <summary>Istio's locality load balancing (<c>localityLbSetting</c>), decided per cluster and applied per proxy locality.</summary>
public static class LocalityLoadBalancing
{
    /// <summary>
    /// The plan of a cluster, null when locality does not change its endpoints. As Istio with its
    /// mesh default (locality LB enabled): a rule's <c>localityLbSetting</c> with <c>enabled: false</c>
    /// turns it off; <c>distribute</c> always applies; failover (the rule's or, without a setting,
    /// the default one) only with outlier detection, which is what tells a proxy the local endpoints
    /// are gone. <c>failoverPriority</c> is not applied (reported on the rule).
    /// </summary>
    public static LocalityLbPlan? Plan(ClusterPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var setting = policy.Locality;
        if (setting?.Enabled == false)
        {
            return null;
        }
        var distribute = setting is null || setting.Distribute.IsDefault ? [] : setting.Distribute;
        if (!distribute.IsEmpty)
        {
            return new LocalityLbPlan(distribute, []);
        }
        return policy.Outlier is null ? null : new LocalityLbPlan([], setting is null || setting.Failover.IsDefault ? [] : setting.Failover);
    }

    /// <summary>A load assignment's resource with its plan: the version covers both, so a changed plan is a changed resource.</summary>
    public static XdsResource WithPlan(XdsResource assignment, LocalityLbPlan plan)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(plan);
        var encoded = plan.Encode();
        var text = Encoding.UTF8.GetBytes(encoded);
        var both = new byte[assignment.Body.Length + text.Length];
        assignment.Body.Span.CopyTo(both);
        text.CopyTo(both, assignment.Body.Length);
        return assignment with { Version = ContentHash.Of(both), LocalityLb = encoded };
    }

    /// <summary>
    /// <paramref name="assignment"/> as a proxy in <paramref name="proxy"/> gets it: its plan applied
    /// (priorities or weights; the result carries no plan), or the same instance when it has none.
    /// </summary>
    public static XdsResource Adapt(XdsResource assignment, Locality proxy)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(proxy);
        if (assignment.LocalityLb is not { } encoded || assignment.IsAbsent)
        {
            return assignment;
        }
        var plan = LocalityLbPlan.Decode(encoded);
        var cla = ClusterLoadAssignment.Parser.ParseFrom(assignment.Body.Span);
        if (!plan.Distribute.IsEmpty)
        {
            Distribute(cla, proxy, plan.Distribute);
        }
        else
        {
            Failover(cla, proxy, plan.Failover);
        }
        return XdsResource.From(assignment.TypeUrl, assignment.Name, cla) with { Rollout = assignment.Rollout };
    }

    /// <summary>Whether <paramref name="locality"/> is in <paramref name="rule"/> (<c>region/zone/subzone</c>, <c>*</c> or an omitted part matches any).</summary>
    public static bool Matches(Locality locality, string rule)
    {
        ArgumentNullException.ThrowIfNull(locality);
        ArgumentNullException.ThrowIfNull(rule);
        var (region, zone, subZone) = Locality.Parse(rule);
        return (region == "*" || locality.Region == region)
            && (zone is "*" or "" || locality.Zone == zone)
            && (subZone is "*" or "" || locality.SubZone == subZone);
    }

    /// <summary>
    /// Istio's distribute: the first rule whose <c>from</c> holds the proxy splits each <c>to</c>
    /// percentage over the localities it matches (by their weights, rounded up); a locality no
    /// <c>to</c> matches gets no traffic (left out: gRPC rejects an empty locality).
    /// </summary>
    private static void Distribute(ClusterLoadAssignment cla, Locality proxy, ImmutableArray<LocalityDistribute> rules)
    {
        var rule = rules.FirstOrDefault(r => Matches(proxy, r.From));
        if (rule is null)
        {
            return;
        }
        var unmatched = new HashSet<int>(Enumerable.Range(0, cla.Endpoints.Count));
        foreach (var (to, percent) in rule.To)
        {
            var matched = unmatched.Where(i => Matches(Of(cla.Endpoints[i]), to)).Order().ToList();
            var total = matched.Sum(i => (long)(cla.Endpoints[i].LoadBalancingWeight ?? 1));
            foreach (var i in matched)
            {
                unmatched.Remove(i);
                var weight = (double)(cla.Endpoints[i].LoadBalancingWeight ?? 1) * percent / total;
                if (weight > 0)
                {
                    cla.Endpoints[i].LoadBalancingWeight = (uint)Math.Ceiling(weight);
                }
            }
        }
        foreach (var i in unmatched.OrderDescending())
        {
            cla.Endpoints.RemoveAt(i);
        }
    }

    /// <summary>Istio's failover priorities (sub-zone, zone, region, the failover region, the rest), numbered from 0 without gaps.</summary>
    private static void Failover(ClusterLoadAssignment cla, Locality proxy, ImmutableArray<LocalityFailover> failover)
    {
        var target = failover.FirstOrDefault(f => f.From == proxy.Region)?.To;
        var levels = new int[cla.Endpoints.Count];
        for (var i = 0; i < levels.Length; i++)
        {
            var locality = Of(cla.Endpoints[i]);
            var level = locality.Region != proxy.Region ? 3 : locality.Zone != proxy.Zone ? 2 : locality.SubZone != proxy.SubZone ? 1 : 0;
            if (level == 3 && target is not null && locality.Region != target)
            {
                level = 4;
            }
            levels[i] = (int)cla.Endpoints[i].Priority * 5 + level;
        }
        var dense = levels.Distinct().Order().Select((level, rank) => (level, rank)).ToDictionary(p => p.level, p => p.rank);
        for (var i = 0; i < levels.Length; i++)
        {
            cla.Endpoints[i].Priority = (uint)dense[levels[i]];
        }
    }

    private static Locality Of(LocalityLbEndpoints group) =>
        group.Locality is { } l ? new Locality(l.Region, l.Zone, l.SubZone) : Locality.None;
}
