using System.Globalization;
using System.Text;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// What a proxy (or, summed, a swarm) has seen, per type in <see cref="TypeUrls.PushOrder"/>:
/// responses; resources received; of those, ones that were new or changed and ones resent
/// unchanged on a stream after a reconnect; removals the server ordered (delta
/// <c>removed_resources</c>, or a name missing from a SotW LDS/CDS response); NACKs sent. Plus
/// streams opened after a failure (reconnects), failed streams, and SAFETY violations (X-26/X-27:
/// an LDS/CDS response that left the proxy holding no listeners/clusters after it had some).
/// </summary>
public sealed class ProxyCounters
{
    private const int Types = 4;
    private readonly long[] _perType;

    public ProxyCounters()
        : this(new long[(int)Metric.Count * Types])
    {
    }

    private ProxyCounters(long[] perType) => _perType = perType;

    internal enum Metric
    {
        Responses,
        Resources,
        Changed,
        Resent,
        Removals,
        Nacks,
        Count,
    }

    public long Reconnects { get; internal set; }

    public long StreamFailures { get; internal set; }

    public long SafetyViolations { get; internal set; }

    public long Responses(string typeUrl) => Get(Metric.Responses, typeUrl);

    public long Resources(string typeUrl) => Get(Metric.Resources, typeUrl);

    /// <summary>Resources that arrived new or with a version different from the one held.</summary>
    public long Changed(string typeUrl) => Get(Metric.Changed, typeUrl);

    /// <summary>Resources received on a stream after a reconnect with the version already held.</summary>
    public long Resent(string typeUrl) => Get(Metric.Resent, typeUrl);

    public long Removals(string typeUrl) => Get(Metric.Removals, typeUrl);

    public long NacksSent(string typeUrl) => Get(Metric.Nacks, typeUrl);

    public long TotalResponses => Total(Metric.Responses);

    public long TotalNacksSent => Total(Metric.Nacks);

    public static ProxyCounters Sum(IEnumerable<ProxyCounters> counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var sum = new ProxyCounters();
        foreach (var c in counters)
        {
            for (var i = 0; i < sum._perType.Length; i++)
            {
                sum._perType[i] += c._perType[i];
            }
            sum.Reconnects += c.Reconnects;
            sum.StreamFailures += c.StreamFailures;
            sum.SafetyViolations += c.SafetyViolations;
        }
        return sum;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var type in TypeUrls.PushOrder)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{TypeUrls.ShortName(type)}[resp {Responses(type)} res {Resources(type)} chg {Changed(type)} resent {Resent(type)} rm {Removals(type)} nack {NacksSent(type)}] ");
        }
        sb.Append(CultureInfo.InvariantCulture, $"reconnects {Reconnects} failures {StreamFailures} violations {SafetyViolations}");
        return sb.ToString();
    }

    internal ProxyCounters Clone() =>
        new((long[])_perType.Clone()) { Reconnects = Reconnects, StreamFailures = StreamFailures, SafetyViolations = SafetyViolations };

    internal void Add(Metric metric, int type, long n = 1) => _perType[((int)metric * Types) + type] += n;

    internal static int IndexOf(string typeUrl) => typeUrl switch
    {
        TypeUrls.Cluster => 0,
        TypeUrls.Endpoint => 1,
        TypeUrls.Listener => 2,
        TypeUrls.Route => 3,
        _ => -1,
    };

    private long Get(Metric metric, string typeUrl) => IndexOf(typeUrl) is var t and >= 0 ? _perType[((int)metric * Types) + t] : 0;

    private long Total(Metric metric)
    {
        long n = 0;
        for (var t = 0; t < Types; t++)
        {
            n += _perType[((int)metric * Types) + t];
        }
        return n;
    }
}
