using Envoy.Config.Route.V3;
using Google.Protobuf;

namespace Mesh.Model.Translation;

/// <summary>Reads and, rarely, rewrites serialized VirtualHosts without a full parse on the common path.</summary>
internal static class VirtualHostBytes
{
    /// <summary>The <c>domains</c> (field 2) of a serialized VirtualHost; routes are skipped, not parsed.</summary>
    public static List<string> ReadDomains(ReadOnlyMemory<byte> bytes)
    {
        var domains = new List<string>();
        var input = new CodedInputStream(bytes.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == VirtualHost.DomainsFieldNumber)
            {
                domains.Add(input.ReadString());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return domains;
    }

    /// <summary>The VirtualHost without <paramref name="removed"/> domains; null if none would remain.</summary>
    public static ReadOnlyMemory<byte>? WithoutDomains(ReadOnlyMemory<byte> bytes, IReadOnlySet<string> removed)
    {
        var host = VirtualHost.Parser.ParseFrom(bytes.Span);
        var kept = host.Domains.Where(d => !removed.Contains(d)).ToList();
        if (kept.Count == 0)
        {
            return null;
        }
        host.Domains.Clear();
        host.Domains.Add(kept);
        return host.ToByteArray();
    }
}
